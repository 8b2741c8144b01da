package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"mashang"
)

// stdin is where passwords are read from; tests replace it.
var stdin io.Reader = os.Stdin

// staffCmd creates console accounts: the first admin, then staff of a
// jurisdiction, station secretaries and departments' handlers (the console's
// manage page does the same once an administrator can sign in); gives a
// staff member a token for the staff API or a code to bind their WeChat;
// and lifts an account's sign-in lock-outs.
func staffCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "token" {
		return staffTokenCmd(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "unlock" {
		return staffUnlockCmd(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "bind-code" {
		return staffBindCodeCmd(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) == 0 || (args[0] != "create-admin" && args[0] != "add") {
		fmt.Fprint(stderr, "usage: mashang staff create-admin USERNAME [--name 姓名]\n"+
			"       mashang staff add USERNAME --name 姓名 (--role staff --jurisdiction 青岛市/市南区 [--chair] | --role secretary --station CODE |\n"+
			"                                               --role handler --department 青岛市/市南区/市南区城市管理局)\n"+
			"       mashang staff token USERNAME   (prints a new staff API token for the account; the old one stops working)\n"+
			"       mashang staff unlock USERNAME  (lifts the account's sign-in lock-outs at every address; audited)\n"+
			"       mashang staff bind-code USERNAME [--out bind.png]  (a one-time code the person scans to bind their WeChat)\n"+
			"The password is read from standard input (asked twice on a terminal).\n")
		return errUsage
	}
	fs := flag.NewFlagSet("staff "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	name := fs.String("name", "", "the person's name, as the console shows it")
	role := fs.String("role", mashang.RoleStaff, "staff (a jurisdiction's congress office) or secretary (a station's)")
	jurisdiction := fs.String("jurisdiction", "", "for staff: the jurisdiction, e.g. 青岛市/市南区")
	station := fs.String("station", "", "for a secretary: the station's code")
	department := fs.String("department", "", "for a handler: the department's path, e.g. 青岛市/市南区/市南区城市管理局")
	chair := fs.Bool("chair", false, "for staff: the congress's responsible person at the jurisdiction (红灯督办提醒 reach them)")
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil || len(positional) != 1 {
		fmt.Fprint(stderr, "give one USERNAME\n")
		return errUsage
	}
	db, _, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()

	u := mashang.StaffUser{Username: positional[0], Name: *name, Role: *role, Chair: *chair}
	if args[0] == "create-admin" {
		u.Role = mashang.RoleAdmin
		if u.Name == "" {
			u.Name = "管理员"
		}
	}
	switch u.Role {
	case mashang.RoleStaff:
		if u.JurisdictionID, err = db.JurisdictionByPath(ctx, *jurisdiction); err != nil {
			return fmt.Errorf("--jurisdiction %q: %s", *jurisdiction, mashang.ErrorMessage(err))
		}
		u.Scope = *jurisdiction
	case mashang.RoleSecretary:
		st, err := db.StationByCode(ctx, *station)
		if err != nil {
			return fmt.Errorf("--station %q: %s", *station, mashang.ErrorMessage(err))
		}
		u.StationID, u.Scope = st.ID, st.Name
	case mashang.RoleHandler:
		if u.DepartmentID, err = db.DepartmentByPath(ctx, *department); err != nil {
			return fmt.Errorf("--department %q: %s", *department, mashang.ErrorMessage(err))
		}
		u.Scope = *department
	case mashang.RoleAdmin:
	default:
		return fmt.Errorf("--role %q: use staff, secretary or handler", u.Role)
	}
	password, err := readPassword(stderr)
	if err != nil {
		return err
	}
	created, err := (&mashang.Accounts{Store: db}).Create(ctx, u, password)
	if err != nil {
		return errors.New(mashang.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "已创建账号 %s（%s，%s%s）。登录：/console/login\n", created.Username, created.Name,
		mashang.RoleLabel(created.Role), map[bool]string{true: " · " + created.Scope, false: ""}[created.Scope != ""])
	return nil
}

// onAccount runs do on the one account a command names (`mashang staff
// token|unlock USERNAME [--config FILE]`), with the configured store.
func onAccount(ctx context.Context, command string, args []string, stderr io.Writer, getenv func(string) string,
	do func(accounts *mashang.Accounts, username string) error) error {
	fs := flag.NewFlagSet("staff "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	positional, err := parseInterspersed(fs, args)
	if err != nil || len(positional) != 1 {
		fmt.Fprintf(stderr, "usage: mashang staff %s USERNAME\n", command)
		return errUsage
	}
	db, _, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := do(&mashang.Accounts{Store: db}, positional[0]); err != nil {
		return errors.New(mashang.ErrorMessage(err))
	}
	return nil
}

// staffTokenCmd prints a new staff API token for an account. Only its hash
// is kept, so it is shown this once; the account's earlier token stops
// working.
func staffTokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return onAccount(ctx, "token", args, stderr, getenv, func(accounts *mashang.Accounts, username string) error {
		token, err := accounts.NewAPIToken(ctx, username)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "账号 %s 的员工接口令牌（只显示这一次，旧令牌已作废）：\n", username)
		fmt.Fprintln(stdout, token)
		return nil
	})
}

// staffUnlockCmd lifts an account's sign-in lock-outs at every address, for
// the administrator who cannot wait LockoutPeriod; the audit log keeps it.
func staffUnlockCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return onAccount(ctx, "unlock", args, stderr, getenv, func(accounts *mashang.Accounts, username string) error {
		n, err := accounts.Unlock(ctx, username)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(stdout, "账号 %s 没有被锁定。\n", username)
		} else {
			fmt.Fprintf(stdout, "已解除账号 %s 在%d个地址的登录锁定。\n", username, n)
		}
		return nil
	})
}

// staffBindCodeCmd makes the one-time code a staff member or handler scans
// to bind their WeChat — what they make themselves at /console/wechat — for
// the administrator setting up a department's handlers, and for the
// sandbox, where the scan is simulated.
func staffBindCodeCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("staff bind-code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	out := fs.String("out", "bind.png", "the PNG to write")
	positional, err := parseInterspersed(fs, args)
	if err != nil || len(positional) != 1 {
		fmt.Fprint(stderr, "usage: mashang staff bind-code USERNAME [--out bind.png]\n")
		return errUsage
	}
	db, cfg, err := openStore(ctx, *configPath, stderr, getenv, true)
	if err != nil {
		return err
	}
	defer db.Close()
	user, err := db.StaffUserByName(ctx, positional[0])
	if err != nil {
		return errors.New(mashang.ErrorMessage(err))
	}
	if user.Disabled {
		return fmt.Errorf("账号 %s 已停用：先在工作台「管理」中启用，再生成绑定二维码", user.Username)
	}
	issuer, err := bindCodeIssuer(cfg)
	if err != nil {
		return err
	}
	// Audited as the console's 生成绑定微信二维码 is, in the token's transaction.
	ctx, _ = mashang.Audited(ctx, mashang.AuditEntry{At: time.Now(), Username: "(命令行)", Action: "wechat_bind_code",
		Target: user.Username, Detail: "生成绑定微信二维码（mashang staff bind-code）"})
	code, err := (&mashang.StaffBinding{Store: db, Issuer: issuer}).NewCode(ctx, user.ID)
	if err != nil {
		return err
	}
	return showBindCode(stdout, code, *out, "工作人员")
}

// readPassword reads the password: twice, unechoed, on a terminal; one line
// from a pipe (for scripts: printf '%s\n' "$PASSWORD" | mashang staff …).
func readPassword(stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "密码（至少12个字符）：")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "再输入一次：")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("两次输入的密码不一致")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
