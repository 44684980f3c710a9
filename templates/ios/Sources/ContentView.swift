import SwiftUI

func greeting(for name: String) -> String {
    "Hello from \(name)"
}

struct ContentView: View {
    var body: some View {
        Text(greeting(for: "{{product_name}}"))
            .padding()
    }
}
