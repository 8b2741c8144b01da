package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/roster"
)

// StaffDirectory lists and creates console accounts (admin only).
type StaffDirectory interface {
	StaffUsers(ctx context.Context) ([]mashang.StaffUser, error)
	JurisdictionByPath(ctx context.Context, path string) (int64, error)
	StationByCode(ctx context.Context, code string) (mashang.Station, error)
	DepartmentByPath(ctx context.Context, path string) (int64, error)
}

// AccountCreator creates accounts and changes them (*mashang.Accounts).
type AccountCreator interface {
	Create(ctx context.Context, u mashang.StaffUser, password string) (mashang.StaffUser, error)
	Change(ctx context.Context, by mashang.StaffSession, username, change, password string) error
}

// RosterService applies uploaded rosters (*roster.Importer).
type RosterService interface {
	Apply(ctx context.Context, kind string, rows [][]string) (roster.ImportResult, error)
}

func (con *console) managePage(c *gin.Context) {
	con.showManage(c, http.StatusOK, gin.H{})
}

// showManage renders the management page with data: what an action says
// (its row errors too), or nothing.
func (con *console) showManage(c *gin.Context, status int, data gin.H) {
	users, err := con.deps.Staff.StaffUsers(c.Request.Context())
	if err != nil {
		con.fail(c, err)
		return
	}
	var kinds []option
	for _, l := range roster.Layouts {
		kinds = append(kinds, option{l.Kind, l.Label})
	}
	var roles []option
	for _, r := range []string{mashang.RoleStaff, mashang.RoleSecretary, mashang.RoleHandler, mashang.RoleAdmin} {
		roles = append(roles, option{r, mashang.RoleLabel(r)})
	}
	data["Title"], data["Users"], data["Kinds"], data["Roles"], data["Layouts"] = "管理", users, kinds, roles, roster.Layouts
	con.page(c, status, "console_manage.html", data)
}

// createUser answers the account form: a jurisdiction path for staff, a
// station code for a secretary.
func (con *console) createUser(c *gin.Context) {
	ctx := c.Request.Context()
	u := mashang.StaffUser{Username: c.PostForm("username"), Name: c.PostForm("name"), Role: c.PostForm("role")}
	var err error
	switch u.Role {
	case mashang.RoleStaff:
		u.JurisdictionID, err = con.deps.Staff.JurisdictionByPath(ctx, strings.TrimSpace(c.PostForm("scope")))
	case mashang.RoleSecretary:
		var st mashang.Station
		st, err = con.deps.Staff.StationByCode(ctx, strings.TrimSpace(c.PostForm("scope")))
		u.StationID = st.ID
	case mashang.RoleHandler:
		u.DepartmentID, err = con.deps.Staff.DepartmentByPath(ctx, strings.TrimSpace(c.PostForm("scope")))
	}
	err = con.audited(c, "create_user", "", u.Username+" "+u.Role+" "+c.PostForm("scope"), func(ctx context.Context) error {
		if err != nil {
			return err
		}
		_, err := con.deps.AccountCreator.Create(ctx, u, c.PostForm("password"))
		return err
	})
	con.managed(c, "create_user", "已创建账号 "+u.Username, err, nil)
}

// changeAccount answers an account row's buttons: disable, enable, a new
// password, the chair mark.
func (con *console) changeAccount(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	username, change := c.Param("username"), c.PostForm("change")
	err := con.audited(c, "account_"+change, "", username, func(ctx context.Context) error {
		return con.deps.AccountCreator.Change(ctx, s, username, change, c.PostForm("password"))
	})
	done := map[string]string{mashang.AccountDisable: "已停用", mashang.AccountEnable: "已启用", mashang.AccountPassword: "已重设密码",
		mashang.AccountChair: "已设为本级人大负责同志", mashang.AccountNotChair: "已取消本级人大负责同志"}[change]
	con.managed(c, "account_"+change, "账号 "+username+" "+done, err, nil)
}

// importRoster answers the roster upload: applied whole, or refused whole
// with each bad row shown, in the words the command line prints. Every
// mistake in the file is the uploader's to fix, so it is said on the page.
func (con *console) importRoster(c *gin.Context) {
	kind := c.PostForm("kind")
	file, header, err := c.Request.FormFile("file")
	detail := ""
	if err == nil {
		defer file.Close()
		detail = header.Filename
	}
	var res roster.ImportResult
	var rowErrors []string
	layout, _ := roster.Lookup(kind)
	err = con.audited(c, "import_"+kind, "", detail, func(ctx context.Context) error {
		if err != nil {
			return mashang.Errorf(mashang.EINVALID, "请选择名册文件（.xlsx 或 .csv）")
		}
		rows, err := roster.ReadFile(header.Filename, file)
		if err == nil {
			res, err = con.deps.Rosters.Apply(ctx, kind, rows)
		}
		var fileErr *mashang.FileError
		if errors.As(err, &fileErr) {
			rowErrors = fileErr.Lines()
			return mashang.Errorf(mashang.EINVALID, "%s有%d处错误，未做任何修改：请改正下列各行后重新上传", layout.Label, len(rowErrors))
		}
		return err
	})
	con.managed(c, "import_"+kind, layout.Label+"导入完成："+res.String(), err, rowErrors)
}

// maxRowErrors bounds the bad rows listed on a page: a file whose every row
// is wrong is better fixed from the first few hundred (the command line
// lists them all).
const maxRowErrors = 500

// managed goes back to the page after an audited management action, with
// how it went. A roster's bad rows are too many for a flash: the page is
// shown at once with them, not redirected to.
func (con *console) managed(c *gin.Context, action, done string, err error, rowErrors []string) {
	f := outcome(c, con.deps.Log.With("action", action), done, err)
	if err != nil && len(rowErrors) > 0 {
		if n := len(rowErrors); n > maxRowErrors {
			rowErrors = append(rowErrors[:maxRowErrors:maxRowErrors],
				fmt.Sprintf("……另有%d处错误未列出：请先改正以上各处，或用命令 mashang import 查看全部", n-maxRowErrors))
		}
		con.showManage(c, statusFor(err), gin.H{"Error": f.Error, "RowErrors": rowErrors, "Kind": c.PostForm("kind")})
		return
	}
	con.said(c, "/console/manage", f)
}

// rosterTemplate answers GET /console/manage/template/:kind: the roster as
// an Excel workbook to fill in, with its dropdowns and an example row.
func (con *console) rosterTemplate(c *gin.Context) {
	layout, ok := roster.Lookup(c.Param("kind"))
	if !ok {
		con.fail(c, mashang.NotFound("名册"))
		return
	}
	data, err := roster.Template(layout)
	if err != nil {
		con.fail(c, fmt.Errorf("roster template %s: %w", layout.Kind, err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+layout.Kind+`.xlsx"; filename*=UTF-8''`+url.PathEscape(layout.Label+"模板.xlsx"))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)
}
