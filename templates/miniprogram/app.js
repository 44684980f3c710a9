// The mini program's entry: global data and the launch hook.
App({
  globalData: {
    appId: '{{app_id}}',
    title: '{{title}}',
  },
  onLaunch(options) {
    console.log('{{title}} launched', options);
  },
});
