package handlers

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/qrcode"
)

// StaffBinder makes the one-time code a staff member scans so that
// supervision notices reach their WeChat (*mashang.StaffBinding).
type StaffBinder interface {
	NewCode(ctx context.Context, userID int64) (mashang.BindCode, error)
}

// StaffWeChat says whether a staff account's WeChat is bound (*store.DB).
type StaffWeChat interface {
	StaffWeChatBound(ctx context.Context, userID int64) (bool, error)
}

// wechatPage shows whether the account's WeChat is bound and, after a
// POST, the code to scan.
func (con *console) wechatPage(c *gin.Context) {
	con.showWeChat(c, http.StatusOK, gin.H{})
}

func (con *console) showWeChat(c *gin.Context, status int, data gin.H) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	bound, err := con.deps.StaffWeChat.StaffWeChatBound(c.Request.Context(), s.User.ID)
	if err != nil {
		con.fail(c, err)
		return
	}
	data["Title"], data["Bound"] = "绑定微信", bound
	data["Notices"] = map[string]string{mashang.RoleSecretary: "本站问题亮黄灯时，您会收到督办提醒。",
		mashang.RoleStaff:   "您是本级人大负责同志时（由管理员设置），本辖区问题亮红灯时会收到督办提醒。",
		mashang.RoleHandler: "有问题交办给本单位（主办或协办）、到期前一个工作日和超期时，您会收到提醒；点开提醒即可在手机上查看、签收并填报办理结果。"}[s.User.Role]
	con.page(c, status, "console_wechat.html", data)
}

// bindWeChat makes a binding code for the signed-in account (valid 10
// minutes, once) and shows it; the scan arrives at the callback.
func (con *console) bindWeChat(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	var code mashang.BindCode
	err := con.audited(c, "wechat_bind_code", s.User.Username, "生成绑定微信二维码", func(ctx context.Context) error {
		var err error
		code, err = con.deps.StaffBinding.NewCode(ctx, s.User.ID)
		return err
	})
	if err != nil {
		con.deps.Log.Error("staff binding code", "err", err)
		con.showWeChat(c, http.StatusBadGateway, gin.H{"Error": "暂时无法生成绑定二维码（微信接口未响应），请稍后再试。"})
		return
	}
	data := gin.H{"Scene": code.Scene.String(), "Expires": code.ExpiresAt}
	if code.URL != "" {
		png, err := qrcode.PNG(code.URL, 256)
		if err != nil {
			con.fail(c, err)
			return
		}
		// The page's CSP allows data: images; the code lives only in this page.
		data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	con.showWeChat(c, http.StatusOK, data)
}
