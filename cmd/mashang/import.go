package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"mashang"
	"mashang/roster"
)

// importCmd applies a station or deputy roster: the whole file in one
// transaction, or nothing, with every bad row listed.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mashang import [--config FILE] stations|deputies|groups|departments|keywords ROSTER.xlsx|ROSTER.csv\n\nCSV may be UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it. Templates: the console, 管理 → 导入名册.\n\n")
		for _, l := range roster.Layouts {
			fmt.Fprintf(stderr, "%s columns: %v\n", l.Kind, l.Headers())
		}
		fs.PrintDefaults()
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil || len(positional) != 2 {
		if err == nil {
			fs.Usage()
		}
		return errUsage
	}
	kind, path := positional[0], positional[1]
	layout, ok := roster.Lookup(kind)
	if !ok {
		fs.Usage()
		return errUsage
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("打开名册：%w", err)
	}
	rows, err := roster.ReadFile(path, f)
	f.Close()
	if err != nil {
		return err
	}

	db, _, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()

	res, err := (&roster.Importer{Store: db}).Apply(ctx, kind, rows)
	var fileErr *mashang.FileError
	if errors.As(err, &fileErr) {
		return fileErr
	}
	if err != nil {
		return fmt.Errorf("导入失败，未做任何修改：%w", err)
	}
	fmt.Fprintf(stdout, "%s导入完成：%s\n", layout.Label, res)
	return nil
}
