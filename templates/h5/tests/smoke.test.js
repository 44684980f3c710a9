// Smoke test of the page: `node --test tests/`.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

test('index.html loads the script and the style sheet', () => {
  const html = fs.readFileSync(path.join(__dirname, '..', 'www', 'index.html'), 'utf8');
  assert.ok(html.includes('js/app.js'));
  assert.ok(html.includes('css/app.css'));
});
