import XCTest
@testable import {{product_name}}

final class {{product_name}}Tests: XCTestCase {
    func testGreetingNamesTheApp() {
        XCTAssertEqual(greeting(for: "app"), "Hello from app")
    }
}
