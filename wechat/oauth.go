package wechat

import (
	"context"
	"fmt"
	"net/url"
)

// AuthorizeURL is where a page sends WeChat's browser for web authorisation
// (网页授权) with scope snsapi_base: silent, and it yields only the openid.
// base stands for https://open.weixin.qq.com (the fake in a sandbox).
func AuthorizeURL(base, appid, redirectURI, state string) string {
	// WeChat documents the parameters in this order, and the fragment.
	return fmt.Sprintf("%s/connect/oauth2/authorize?appid=%s&redirect_uri=%s&response_type=code&scope=snsapi_base&state=%s#wechat_redirect",
		base, url.QueryEscape(appid), url.QueryEscape(redirectURI), url.QueryEscape(state))
}

// OAuthOpenID trades a web authorisation code for the user's openid
// (sns/oauth2/access_token); a code works once, for 5 minutes.
func (c *Clients) OAuthOpenID(ctx context.Context, code string) (string, error) {
	res, err := c.OA.GetOauth().GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", apiError("sns/oauth2/access_token", err)
	}
	if res.ErrCode != 0 {
		return "", &APIError{Op: "sns/oauth2/access_token", Code: int(res.ErrCode), err: fmt.Errorf("errcode=%d errmsg=%s", res.ErrCode, res.ErrMsg)}
	}
	return res.OpenID, nil
}
