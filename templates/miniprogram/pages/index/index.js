Page({
  onTap() {
    my.alert({ title: '{{title}}', content: 'Hello from the index page' });
  },
});
