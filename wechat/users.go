package wechat

import (
	"context"

	"github.com/silenceper/wechat/v2/officialaccount/user"
)

// FollowerUnionID reads a follower's unionid from cgi-bin/user/info
// (mashang.UnionReader): "" when the Official Account is not bound to an
// Open Platform account, or the openid no longer follows (subscribe 0
// carries nothing else).
func (c *Clients) FollowerUnionID(_ context.Context, openid string) (string, error) {
	var info *user.Info
	err := c.withToken(officialAccount, func() (err error) {
		info, err = c.OA.GetUser().GetUserInfo(openid)
		return err
	})
	if err != nil {
		return "", apiError("user/info", err)
	}
	if info.Subscribe == 0 {
		return "", nil
	}
	return info.UnionID, nil
}
