package {{package}}

import org.junit.Assert.assertEquals
import org.junit.Test

class MainActivityTest {
    @Test
    fun greetingNamesTheApp() {
        assertEquals("Hello from app", MainActivity.greeting("app"))
    }
}
