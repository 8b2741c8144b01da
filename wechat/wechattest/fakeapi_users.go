package wechattest

import "regexp"

// SetUnionID gives an Official Account follower a unionid, as WeChat does
// when the account and the Mini Program share an Open Platform account.
func (f *Fake) SetUnionID(openid, unionid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unionIDs[openid] = unionid
}

var openIDShape = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// userInfo answers cgi-bin/user/info as WeChat does since 2021-12-27: no
// nickname or avatar; for someone who does not follow, subscribe 0 and
// nothing else but the openid.
func (f *Fake) userInfo(r *apiRequest) apiReply {
	openid := r.query.Get("openid")
	if !openIDShape.MatchString(openid) {
		return replyError(40003)
	}
	if !f.known[appKey(r.appid, openid)] {
		return replyError(40003) // an openid this account never saw: another app's, or made up
	}
	if !f.followers[appKey(r.appid, openid)] {
		return replyJSON(map[string]any{"subscribe": 0, "openid": openid})
	}
	info := map[string]any{"subscribe": 1, "openid": openid, "language": "", "subscribe_time": r.now.Unix(),
		"remark": "", "groupid": 0, "tagid_list": []int{}, "subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene": 0, "qr_scene_str": ""}
	if u := f.unionIDs[openid]; u != "" { // unionids are per Open Platform account, not per app
		info["unionid"] = u
	}
	return replyJSON(info)
}
