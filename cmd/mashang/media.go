package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"mashang/app"
	"mashang/configs"
	"mashang/media"
)

const mediaUsage = `usage: mashang media migrate [--from DIR] [--verify] [--config FILE]
       mashang media check [--config FILE]
migrate copies a media folder (default MASHANG_MEDIA_DIR) into the object store that
MASHANG_MEDIA_S3_* configures. Run it again after a stop: what is already there, with the
same size and SHA-256, is skipped. --verify reads every copy back and compares its SHA-256
with the folder's (a damaged copy is copied again); it exits 1 if any still differs.
check says whether the store answers and the bucket is there.
`

// mediaCmd moves media to object storage and checks the store.
func mediaCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "migrate" && args[0] != "check") {
		fmt.Fprint(stderr, mediaUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("media "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	from := fs.String("from", "", "the media folder to copy (default: MASHANG_MEDIA_DIR)")
	verify := fs.Bool("verify", false, "read every copy back and compare its SHA-256 with the folder's")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	cfg, err := configs.Load(*configPath, configs.Command, getenv)
	if err != nil {
		return err
	}
	if cfg.MediaS3.Endpoint == "" {
		return &configs.SettingError{Setting: "MASHANG_MEDIA_S3_ENDPOINT",
			Problem: "is not set: give the object store (and MASHANG_MEDIA_S3_BUCKET and its keys) to copy media into"}
	}
	files, err := app.NewMediaFiles(cfg)
	if err != nil {
		return err
	}
	store := files.(*media.S3)
	if err := store.Check(ctx); err != nil {
		return fmt.Errorf("对象存储无法使用（%s）：%w", cfg.MediaS3.Endpoint, err)
	}
	if args[0] == "check" {
		fmt.Fprintf(stdout, "对象存储 %s 可用，存储桶 %s 存在\n", cfg.MediaS3.Endpoint, cfg.MediaS3.Bucket)
		return nil
	}
	dir := *from
	if dir == "" {
		dir = cfg.MediaDir
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("--from %s：不是一个文件夹（%v）", dir, err)
	}
	r, err := media.Copy(ctx, media.NewDir(dir), files, media.CopyOptions{Verify: *verify,
		Progress: func(key, what string) {
			if what != "skipped" {
				fmt.Fprintf(stdout, "%s %s\n", what, key)
			}
		}})
	fmt.Fprintf(stdout, "从 %s 复制了 %d 个文件（%.1f MB），已有相同的 %d 个", dir, r.Copied, float64(r.Bytes)/(1<<20), r.Skipped)
	if *verify {
		fmt.Fprintf(stdout, "；逐个读回核对 SHA-256：一致 %d 个，重新复制后一致 %d 个，不一致 %d 个", r.Verified, r.Repaired, len(r.Mismatched))
	}
	fmt.Fprintln(stdout)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("已中断：再次运行同一命令会从中断处继续（已复制的文件会跳过）")
		}
		return fmt.Errorf("复制中断：%w；再次运行同一命令会从中断处继续", err)
	}
	if len(r.Mismatched) > 0 {
		return fmt.Errorf("%d 个文件在对象存储中与文件夹中的不一致：%s", len(r.Mismatched), strings.Join(r.Mismatched, ", "))
	}
	return nil
}
