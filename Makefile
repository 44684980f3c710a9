# The two set-up commands of the README, and the chores around them.
#   make demo   install what is missing, build (release), run scripts/demo.sh
#   make test   install what is missing, build (ASan+UBSan, -Werror), run every test
.PHONY: demo test deps build build-dev docs format clean bench fuzz

JOBS ?= $(shell nproc)

deps:
	bash scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-dev: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

demo: build
	bash scripts/demo.sh build/release/mpaas

test: build-dev
	ctest --preset dev

docs: build-dev
	cmake --build --preset dev --target docs

bench: build
	bash bench/run.sh

fuzz: deps
	bash scripts/fuzz.sh 60

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
