// Entry script of the {{offline_name}} offline package. AlipayJSBridge exists only inside
// the mPaaS container; in a desktop browser the page still works without it.
(function () {
  var status = document.getElementById('status');
  function ready() {
    status.textContent = 'Offline package {{offline_id}} version {{version}} is running.';
  }
  document.getElementById('ping').addEventListener('click', function () {
    if (window.AlipayJSBridge) {
      window.AlipayJSBridge.call('toast', { content: 'Hello from {{offline_name}}' });
    } else {
      status.textContent = 'Not inside the mPaaS container.';
    }
  });
  if (window.AlipayJSBridge) {
    ready();
  } else {
    document.addEventListener('AlipayJSBridgeReady', ready, false);
    window.setTimeout(ready, 300);
  }
})();
