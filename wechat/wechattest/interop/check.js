// Plays node-webot's co-wechat-api, an independent WeChat client, against the
// fake WeChat at process.env.FAKE_BASE, and prints one JSON line per step:
// {"step": …, "ok": true, …} or {"step": …, "code": errcode, "message": …}.
// interop_test.go (package wechattest) starts the fake and judges the lines.
'use strict';
const API = require('co-wechat-api');
const httpx = require('httpx');

const base = process.env.FAKE_BASE;
function client(appid, secret) {
  const api = new API(appid, secret);
  // Every prefix the client knows, pointed at the fake (it keeps them per instance).
  for (const k of ['prefix', 'mpPrefix', 'fileServerPrefix', 'customservicePrefix']) {
    api[k] = base + '/cgi-bin/';
  }
  api.snsPrefix = base + '/sns/';
  api.wxaPrefix = base + '/wxa/';
  return api;
}
const oa = client(process.env.OA_APPID, process.env.OA_SECRET);
const mp = client(process.env.MP_APPID, process.env.MP_SECRET);
const follower = process.env.FOLLOWER;
const template = process.env.TEMPLATE;

async function step(name, fn) {
  try {
    const got = await fn();
    console.log(JSON.stringify({ step: name, ok: true, got: got }));
  } catch (err) {
    console.log(JSON.stringify({ step: name, code: err.code || 0, message: String(err.message) }));
  }
}

(async () => {
  await step('token', async () => { const t = await oa.getAccessToken(); return { token: t.accessToken.length > 0 }; });
  await step('template known', () => oa.sendTemplate(follower, template, '', '', { thing1: { value: '新的群众诉求' } }));
  await step('template unknown id', () => oa.sendTemplate(follower, 'NOT-ADDED', '', '', { thing1: { value: '新的群众诉求' } }));
  await step('user follower', () => oa.getUser(follower));
  await step('user unknown openid', () => oa.getUser('oNeverSeen0001'));
  await step('template with the Mini Program token', () => mp.sendTemplate(follower, template, '', '', { thing1: { value: 'x' } }));
  await step('temporary QR default expiry', () => oa.createTmpQRCode(123));
  await step('showqrcode', async () => {
    const q = await oa.createTmpQRCode(124, 600);
    const res = await httpx.request(oa.showQRCodeURL(q.ticket).replace(/ticket=(.*)$/, (_, t) => 'ticket=' + encodeURIComponent(t)));
    return { status: res.statusCode, type: res.headers['content-type'] };
  });
  await step('menu create', () => oa.createMenu({ button: [{ type: 'click', name: '我要反映', key: 'raise' }] }));
  await step('menu get', () => oa.getMenu());
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]);
  await step('media upload', () => oa.uploadMedia(jpeg, 'image', 'reply.jpg', 'image/jpeg'));
  await step('custom image uploaded', async () => {
    const m = await oa.uploadMedia(jpeg, 'image', 'reply.jpg', 'image/jpeg');
    return oa.sendImage(follower, m.media_id);
  });
  await step('custom image never issued', () => oa.sendImage(follower, 'NEVER-ISSUED'));
  await step('custom news of two articles', () => oa.sendNews(follower, [
    { title: '一', description: '', url: 'https://example.org/1', picurl: '' },
    { title: '二', description: '', url: 'https://example.org/2', picurl: '' },
  ]));
})();
