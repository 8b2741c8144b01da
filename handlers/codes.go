package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/qrcode"
	"mashang/web"
)

// CodeService finds and lists codes (implemented by *mashang.Codes).
type CodeService interface {
	Image(ctx context.Context, scene mashang.Scene, channel mashang.CodeChannel) (mashang.CodeImage, error)
	// ExportFiles and Owners list what is under a jurisdiction path and
	// allowed (a station's code within reach; nil: all).
	ExportFiles(ctx context.Context, under []string, channel mashang.CodeChannel, allowed func(stationCode string) bool) ([]mashang.CodeFile, error)
	Owners(ctx context.Context, under []string, allowed func(stationCode string) bool) ([]mashang.CodeOwner, error)
	H5Link(scene mashang.Scene) string
}

// Directory names stations and deputies.
type Directory interface {
	StationByCode(ctx context.Context, code string) (mashang.Station, error)
	DeputyByCode(ctx context.Context, code string) (mashang.Deputy, error)
}

type codes struct{ deps PublicDeps }

// png answers GET /codes/<scene>.png?size=512&channel=oa|mp|h5.
func (h *codes) png(c *gin.Context) {
	name, ok := strings.CutSuffix(c.Param("file"), ".png")
	scene := mashang.ParseScene(name)
	if !ok || scene.Kind == mashang.SceneUnknown {
		failPublic(c, h.deps.Log, mashang.Errorf(mashang.ENOTFOUND, "没有这个二维码：地址应为 /codes/st:<站点编码>.png 或 /codes/dp:<代表编码>.png"))
		return
	}
	size, err := sizeParam(c, 512)
	if err != nil {
		failPublic(c, h.deps.Log, err)
		return
	}
	if _, err := h.owner(c.Request.Context(), scene); err != nil {
		failPublic(c, h.deps.Log, err)
		return
	}
	img, err := h.deps.Codes.Image(c.Request.Context(), scene, mashang.CodeChannel(c.Query("channel")))
	if err != nil {
		failPublic(c, h.deps.Log, err)
		return
	}
	data := img.PNG
	if data == nil {
		if data, err = qrcode.PNG(img.Content, size); err != nil {
			failPublic(c, h.deps.Log, err)
			return
		}
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "image/png", data)
}

func sizeParam(c *gin.Context, def int) (int, error) {
	s := c.Query("size")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < qrcode.MinSize || n > qrcode.MaxSize {
		return 0, mashang.Errorf(mashang.EINVALID, "size 应为 %d 到 %d 之间的像素数", qrcode.MinSize, qrcode.MaxSize)
	}
	return n, nil
}

// scenePage answers GET /s/<scene>, where an H5 code leads: who the citizen
// reached and how to write to them.
func (h *codes) scenePage(c *gin.Context) {
	page, err := h.owner(c.Request.Context(), mashang.ParseScene(c.Param("scene")))
	if err != nil {
		h.unknownScene(c, err)
		return
	}
	page["Lines"] = []string{
		"请在微信中关注本地人大代表联络平台公众号，然后直接发送文字、图片、语音或位置，说明您要反映的问题。",
		"代表会尽快处理，并通过公众号答复您。",
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := web.Templates.ExecuteTemplate(c.Writer, "scene.html", page); err != nil {
		h.deps.Log.Error("render scene page", "err", err)
	}
}

// owner names the station or deputy a scene is for: a title and subtitle
// for its page; ENOTFOUND when there is none.
func (h *codes) owner(ctx context.Context, scene mashang.Scene) (map[string]any, error) {
	switch scene.Kind {
	case mashang.SceneStation:
		st, err := h.deps.Directory.StationByCode(ctx, scene.Code)
		if err != nil {
			return nil, err
		}
		page := map[string]any{"Title": st.Name, "Subtitle": st.Address}
		if !st.Open {
			page["Notice"] = "本站点已停止使用，您的问题可以发送到附近其他代表联络站，我们会转交。"
		}
		return page, nil
	case mashang.SceneDeputy:
		d, err := h.deps.Directory.DeputyByCode(ctx, scene.Code)
		if err != nil {
			return nil, err
		}
		page := map[string]any{"Title": d.Name + " 代表", "Subtitle": d.StationName}
		if !d.InOffice {
			page["Title"] = d.Name
			page["Notice"] = d.Name + "已不再担任人大代表，您的问题可以继续向「" + d.StationName + "」反映。"
		}
		return page, nil
	}
	return nil, mashang.NotFound("二维码")
}

func (h *codes) unknownScene(c *gin.Context, err error) {
	if mashang.ErrorCode(err) != mashang.ENOTFOUND {
		failPublic(c, h.deps.Log, err)
		return
	}
	c.Status(http.StatusNotFound)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = web.Templates.ExecuteTemplate(c.Writer, "scene.html", map[string]any{
		"Title": "未能识别这个二维码",
		"Lines": []string{"它可能已经停用。请扫描代表联络站现场张贴的最新二维码。"},
	})
}
