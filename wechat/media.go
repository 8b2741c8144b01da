package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/silenceper/wechat/v2/util"
)

// maxMediaBytes is above WeChat's largest temporary media (10 MB video).
const maxMediaBytes = 20 << 20

// FetchMedia downloads temporary media (cgi-bin/media/get), which the SDK
// only builds the URL for (mashang.MediaFetcher). WeChat answers with the
// file, or with JSON: an error, or for a video the link to it.
func (c *Clients) FetchMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	var data []byte
	var contentType string
	err := c.withToken(officialAccount, func() (err error) {
		data, contentType, err = c.fetchMedia(ctx, mediaID)
		return err
	})
	return data, contentType, err
}

func (c *Clients) fetchMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	// The SDK puts the ID into the query as it is: escaped here, an ID with
	// '&', '#', '+' or a space still asks for itself.
	u, err := c.OA.GetMaterial().GetMediaURL(url.QueryEscape(mediaID))
	if err != nil {
		return nil, "", apiError("media/get", err)
	}
	data, contentType, err := c.get(ctx, u)
	if err != nil {
		return nil, "", err
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType != "application/json" && mediaType != "text/plain" {
		return data, contentType, nil
	}
	var answer struct {
		ErrCode  int    `json:"errcode"`
		ErrMsg   string `json:"errmsg"`
		VideoURL string `json:"video_url"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, "", &APIError{Op: "media/get", err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if answer.VideoURL != "" {
		return c.get(ctx, answer.VideoURL)
	}
	return nil, "", &APIError{Op: "media/get", Code: answer.ErrCode, err: fmt.Errorf("errcode=%d errmsg=%s", answer.ErrCode, answer.ErrMsg)}
}

func (c *Clients) get(ctx context.Context, url string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", apiError("media/get", err)
	}
	// The client installed by NewClients: timeouts, and the API host rewrite.
	resp, err := util.DefaultHTTPClient.Do(req)
	if err != nil {
		return nil, "", apiError("media/get", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", apiError("media/get", fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMediaBytes+1))
	if err != nil {
		return nil, "", apiError("media/get", err)
	}
	if len(data) > maxMediaBytes {
		return nil, "", apiError("media/get", errors.New("media larger than 20 MB"))
	}
	return data, resp.Header.Get("Content-Type"), nil
}
