package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"mashang"
	"mashang/app"
	"mashang/configs"
	"mashang/qrcode"
	"mashang/wechat"
)

// codesCmd makes the codes of every station and deputy (once each) and
// exports them.
func codesCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "export") {
		fmt.Fprint(stderr, "usage: mashang codes create|export [flags]\n")
		return errUsage
	}
	fs := flag.NewFlagSet("codes "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	under := fs.String("under", "", "only the stations and deputies under this jurisdiction, e.g. 青岛市/市南区")
	out := fs.String("out", "codes.zip", "export: the ZIP file to write")
	size := fs.Int("size", 512, "export: code size in pixels")
	channel := fs.String("channel", "", "export: oa, mp or h5 (default: oa where made, else h5)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	db, cfg, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()
	clients, err := wechat.NewClients(wechat.ClientConfig{
		APIBase: cfg.WeChat.APIBase, AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret,
		MPAppID: cfg.MiniProgram.AppID, MPSecret: cfg.MiniProgram.Secret,
	})
	if err != nil {
		return &configs.SettingError{Setting: "MASHANG_WECHAT_API_BASE", Problem: err.Error()}
	}
	codes := app.NewCodes(cfg, db, clients)
	path := mashang.JurisdictionPath(*under)

	if args[0] == "create" {
		return createCodes(ctx, codes, path, stdout)
	}
	return exportCodes(ctx, codes, path, mashang.CodeChannel(*channel), *out, *size, stdout)
}

func createCodes(ctx context.Context, codes *mashang.Codes, under []string, stdout io.Writer) error {
	if codes.OA == nil && codes.MP == nil {
		fmt.Fprintln(stdout, "没有配置微信公众号（或处于沙盒模式）：不向微信申请二维码，导出时使用本服务的网页二维码 (h5)。")
		return nil
	}
	owners, err := codes.Owners(ctx, under, nil)
	if err != nil {
		return err
	}
	results, err := codes.Ensure(ctx, owners)
	for _, r := range results {
		fmt.Fprintln(stdout, r)
		for scene, why := range r.Failed {
			fmt.Fprintf(stdout, "  %s: %v\n", scene, why)
		}
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Failed) > 0 {
			return fmt.Errorf("%d 个二维码未能生成；再次运行会只补做这些", len(r.Failed))
		}
	}
	return nil
}

func exportCodes(ctx context.Context, codes *mashang.Codes, under []string, channel mashang.CodeChannel,
	out string, size int, stdout io.Writer) error {
	files, err := codes.ExportFiles(ctx, under, channel, nil)
	if err != nil {
		return err
	}
	items := make([]qrcode.Item, len(files))
	for i, f := range files {
		items[i] = qrcode.Item{Path: f.Path, Content: f.Content, PNG: f.PNG}
	}
	// Written beside the target and renamed, so a failed export leaves no
	// half-written ZIP under the expected name.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".codes-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	start := time.Now()
	n, err := qrcode.ExportZIP(ctx, tmp, items, size)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "已导出 %d 个二维码到 %s（%s，每秒 %.0f 个）\n", n, out, took.Round(time.Millisecond), float64(n)/took.Seconds())
	return nil
}
