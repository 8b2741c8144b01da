package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/qrcode"
	"mashang/wechat"
)

// deputiesCmd makes binding codes and shows who is bound.
func deputiesCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "bind-code" && args[0] != "status") {
		fmt.Fprint(stderr, "usage: mashang deputies bind-code DEPUTY_CODE [--out bind.png] | mashang deputies status\n")
		return errUsage
	}
	fs := flag.NewFlagSet("deputies "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	out := fs.String("out", "bind.png", "bind-code: the PNG to write")
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return errUsage
	}
	db, cfg, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()

	if args[0] == "status" {
		bindings, err := db.DeputyBindings(ctx)
		if err != nil {
			return err
		}
		bound := 0
		for _, b := range bindings {
			state := "未绑定"
			if b.Bound {
				state, bound = "已绑定", bound+1
			}
			if !b.InOffice {
				state += "（不在任）"
			}
			fmt.Fprintf(stdout, "%-12s %-8s %-24s %s\n", b.Code, b.Name, b.StationName, state)
		}
		fmt.Fprintf(stdout, "\n共%d位代表，已绑定微信%d位，未绑定%d位\n", len(bindings), bound, len(bindings)-bound)
		return nil
	}

	if len(positional) != 1 {
		fmt.Fprint(stderr, "usage: mashang deputies bind-code DEPUTY_CODE [--out bind.png]\n")
		return errUsage
	}
	issuer, err := bindCodeIssuer(cfg)
	if err != nil {
		return err
	}
	code, err := (&mashang.Binding{Store: db, Issuer: issuer}).NewCode(ctx, positional[0])
	if err != nil {
		return err
	}
	return showBindCode(stdout, code, *out, "代表")
}

// bindCodeIssuer is WeChat's temporary codes when the Official Account is
// configured; nil otherwise (the sandbox), when the scene is printed for
// `mashang simulate` instead.
func bindCodeIssuer(cfg configs.Config) (mashang.TemporaryCodeIssuer, error) {
	if cfg.Sandbox || cfg.WeChat.AppID == "" || cfg.WeChat.Secret == "" {
		return nil, nil
	}
	clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: cfg.WeChat.APIBase, AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret})
	if err != nil {
		return nil, &configs.SettingError{Setting: "MASHANG_WECHAT_API_BASE", Problem: err.Error()}
	}
	return clients, nil
}

// showBindCode writes a binding code as a PNG for whom (代表, 工作人员) to
// scan, or, without WeChat, prints the scene to simulate the scan with.
func showBindCode(stdout io.Writer, code mashang.BindCode, out, whom string) error {
	if code.URL == "" {
		fmt.Fprintf(stdout, "沙盒或未配置公众号：没有向微信申请临时二维码。模拟%s扫码：\n  mashang simulate --follower --scene %s\n", whom, code.Scene)
		fmt.Fprintf(stdout, "有效至 %s\n", chinaTime(code.ExpiresAt))
		return nil
	}
	png, err := qrcode.PNG(code.URL, 512)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, png, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "绑定二维码已写入 %s，请%s用微信扫码；有效至 %s，只能使用一次。\n", out, whom, chinaTime(code.ExpiresAt))
	return nil
}

// chinaTime is a time as the congress reads it, whatever the machine's
// zone: China time, the zone named.
func chinaTime(t time.Time) string {
	return t.In(mashang.China).Format("2006-01-02 15:04:05") + "（北京时间）"
}
