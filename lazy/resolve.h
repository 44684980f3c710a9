// The resolver behind the lazily loaded libraries' trampolines (lazy/README.md).
#ifndef MPAAS_LAZY_RESOLVE_H
#define MPAAS_LAZY_RESOLVE_H

#ifdef __cplusplus
extern "C" {
#endif

// One library: generated per lazy/<library>.symbols by cmake/lazy_library.cmake.
struct mpaas_lazy_library {
  const char* soname;        // what dlopen is given: the SONAME the build linked against
  const char* const* names;  // the functions, in the order of the trampolines
  void** slots;              // where each trampoline jumps: its stub, then the function
  void** resolved;           // each function's address once looked up, else null
  void* handle;              // the library, once opened
};

// Opens the library when needed and looks up function `index`; sets its slot so that the
// next calls jump straight to it, and returns its address. Ends the process (127) when the
// library or the function is missing.
void* mpaas_lazy_resolve(struct mpaas_lazy_library* library, unsigned index);

#ifdef __cplusplus
}
#endif

#endif
