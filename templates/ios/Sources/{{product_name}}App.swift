import SwiftUI

@main
struct {{product_name}}App: App {
    var body: some Scene {
        WindowGroup {
            ContentView()
        }
    }
}
