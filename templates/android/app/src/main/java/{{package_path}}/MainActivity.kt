package {{package}}

import android.os.Bundle
import android.widget.TextView
import androidx.appcompat.app.AppCompatActivity

class MainActivity : AppCompatActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(TextView(this).apply { text = greeting(getString(R.string.app_name)) })
    }

    companion object {
        fun greeting(name: String): String = "Hello from $name"
    }
}
