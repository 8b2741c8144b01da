package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GeneratorVersion names what GenerateCases writes: a database generated
// by the same version (GeneratedCases) can be measured again as it is.
const GeneratorVersion = 2

// Made-up texts: 600 housing estates, 60 buildings in each, 24 problems,
// so that a summary names an estate, a building and a problem, and a
// search for one building of one estate is as rare as a real one.
var (
	estateFirst  = strings.Fields("金茂 海润 春华 银海 翠湖 东方 阳光 绿城 万科 中海 鲁信 颐和 枫林 丽景 海逸 锦绣 新都 福林 盛世 华润 碧海 榕树 紫荆 观澜 和达 瑞源 清江 松岭 石桥 柳岸")
	estateSecond = strings.Fields("湾 园 苑 府 城 庭 里 居 郡 湖畔 花园 家园 新村 公馆 雅居 名邸 山庄 广场 港湾 水岸")
	problems     = strings.Fields("路灯不亮 垃圾清运不及时 电梯故障停运 物业乱收费 停车位紧张 夜间施工噪音 学校接送拥堵 看病挂号难 拖欠工资 补贴未发放 道路破损积水 供暖温度不达标 井盖缺失 下水道堵塞 违章搭建 绿化带毁坏 公交站点太远 菜市场脏乱 楼道堆物 外墙脱落 自来水水质差 燃气管道老化 养老服务不足 快递车乱停")
	fixes        = strings.Fields("已派人维修 已督促物业整改 已协调有关部门 已列入年度计划 已约谈责任单位 已现场核实并处理")
)

// GenerateCases brings the made-up cases up to n — over the year before now, spread over
// the demo stations and their groups, with a mix of statuses, deadlines,
// colours and ratings, a citizen's message on half of them and an answer
// on those answered — for the console's benchmark, never for a real
// database. It writes them in batches of multi-row INSERTs, the cases with
// IDs of its own so that their messages and answers can name them, and
// records with each batch how many it has written (GeneratedCases), so
// that an interrupted run is continued rather than begun again.
func (db *DB) GenerateCases(ctx context.Context, n int, now time.Time) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS generated_cases (version INT NOT NULL, cases INT NOT NULL)`); err != nil {
		return fmt.Errorf("generated cases: %w", err)
	}
	version, done, err := db.GeneratedCases(ctx)
	if err != nil {
		return err
	}
	if version != 0 && version != GeneratorVersion {
		return fmt.Errorf("the cases here were made by generator %d, not %d: generate into an empty database", version, GeneratorVersion)
	}
	if version == 0 {
		if _, err := db.db.ExecContext(ctx, `INSERT INTO generated_cases (version, cases) VALUES (?, 0)`, GeneratorVersion); err != nil {
			return fmt.Errorf("generated cases: %w", err)
		}
	}
	var stations []int64
	var groups [][]int64
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM stations ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		stations = append(stations, id)
	}
	rows.Close()
	for _, s := range stations {
		ids, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		}, `SELECT id FROM deputy_groups WHERE station_id = ?`, s)
		if err != nil {
			return err
		}
		groups = append(groups, ids)
	}
	if len(stations) == 0 {
		return fmt.Errorf("no stations: seed the demo first")
	}
	departments, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT id FROM departments`)
	if err != nil {
		return err
	}
	var firstID int64
	if err := db.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM cases`).Scan(&firstID); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2026, 11+uint64(done)))
	categories := []string{"道路照明", "垃圾清运", "物业管理", "教育", "医疗卫生", "法律咨询", "政策咨询", ""}
	statuses := []string{"open", "accepted", "handed", "closed", "closed", "closed", "reopened"}
	colours := []string{"green", "green", "green", "green", "yellow", "red"}
	ratings := []string{"", "", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"}
	const batch = 500
	for start := done; start < n; start += batch {
		size := min(batch, n-start)
		var cases, messages, answers strings.Builder
		cases.WriteString(`INSERT INTO cases (id, number, openid, scene, station_id, group_id, category, status, summary, created_at,
			last_message_at, public_consent, rating, poor_ratings, colour, deadline, closed_at, overdue, department_id, handed_at, answered_at) VALUES `)
		messages.WriteString(`INSERT INTO inbound_messages (dedup_key, account, openid, msg_type, event_key, content, pic_url, recognition,
			label, title, description, url, raw, created_at, received_at, reply, case_id) VALUES `)
		answers.WriteString(`INSERT INTO case_events (case_id, at, kind, actor, detail) VALUES `)
		args := make([]any, 0, size*21)
		var messageArgs, answerArgs []any
		for i := range size {
			k := start + i
			id := firstID + int64(k-done)
			si := rng.IntN(len(stations))
			var group any
			if len(groups[si]) > 0 {
				group = groups[si][rng.IntN(len(groups[si]))]
			}
			created := now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).UTC()
			status := statuses[rng.IntN(len(statuses))]
			var deadline, closed, department, handed, answered any
			overdue := false
			if status == "handed" || status == "closed" {
				due := created.Add(14 * 24 * time.Hour)
				deadline, overdue = due, status == "handed" && due.Before(now)
				if len(departments) > 0 {
					department, handed = departments[rng.IntN(len(departments))], created.Add(time.Hour)
				}
			}
			if status == "closed" {
				closed = created.Add(time.Duration(rng.IntN(20*24)) * time.Hour)
			}
			estate := estateFirst[rng.IntN(len(estateFirst))] + estateSecond[rng.IntN(len(estateSecond))]
			problem := problems[rng.IntN(len(problems))]
			openid := fmt.Sprintf("oGEN%020d", rng.IntN(200000))
			if status != "open" && rng.IntN(4) > 0 {
				answered = created.Add(2 * time.Hour)
				if len(answerArgs) > 0 {
					answers.WriteString(", ")
				}
				answers.WriteString("(?, ?, 'reply', 'staff', ?)")
				answerArgs = append(answerArgs, id, answered, "您反映的"+estate+problem+"问题，"+fixes[rng.IntN(len(fixes))]+"。")
			}
			if rng.IntN(2) == 0 {
				if len(messageArgs) > 0 {
					messages.WriteString(", ")
				}
				messages.WriteString("(?, 'gh_generated', ?, 'text', '', ?, '', '', '', '', '', '', '', ?, ?, '', ?)")
				messageArgs = append(messageArgs, fmt.Sprintf("generated:%d", id), openid,
					fmt.Sprintf("你好，我住%s，%s已经%d天了，希望尽快解决。", estate, problem, 1+rng.IntN(30)), created, created, id)
			}
			if i > 0 {
				cases.WriteString(", ")
			}
			cases.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, id, fmt.Sprintf("G%09d", k), openid, "st:generated", stations[si], group,
				categories[rng.IntN(len(categories))], status, fmt.Sprintf("%s%d号楼%s", estate, 1+rng.IntN(60), problem),
				created, created, rng.IntN(2) == 0, ratings[rng.IntN(len(ratings))], 0, colours[rng.IntN(len(colours))], deadline, closed, overdue,
				department, handed, answered)
		}
		if err := db.update(ctx, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, cases.String(), args...); err != nil {
				return err
			}
			if len(messageArgs) > 0 {
				if _, err := tx.tx.ExecContext(ctx, messages.String(), messageArgs...); err != nil {
					return err
				}
			}
			if len(answerArgs) > 0 {
				if _, err := tx.tx.ExecContext(ctx, answers.String(), answerArgs...); err != nil {
					return err
				}
			}
			_, err := tx.tx.ExecContext(ctx, `UPDATE generated_cases SET cases = ? WHERE version = ?`, start+size, GeneratorVersion)
			return err
		}); err != nil {
			return fmt.Errorf("generate cases: %w", err)
		}
	}
	return nil
}

// GeneratedCases reports the generator version and the number of cases
// GenerateCases has written into this database; 0, 0 if it never ran here.
func (db *DB) GeneratedCases(ctx context.Context) (version, cases int, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT version, cases FROM generated_cases ORDER BY version DESC, cases DESC LIMIT 1`).Scan(&version, &cases)
	if err != nil {
		// No such table, or no row: nothing generated here.
		return 0, 0, nil
	}
	return version, cases, nil
}

// Settle waits, up to limit, for the database to finish the work a bulk
// load leaves behind, so that what is timed next is the queries and not
// the load's aftermath. First the search index takes every text the load
// wrote (IndexSearch; however long that takes: a search would otherwise
// read them all as candidates). Then MySQL purges the undo of a million
// inserts (and of the figure tallies' updates their triggers made) for
// minutes after; SQLite has nothing left to do once it has committed.
// MySQL also gets fresh statistics, as after any bulk load: it otherwise
// plans the inbox on the counts of a near-empty table until its own
// recount runs.
func (db *DB) Settle(ctx context.Context, limit time.Duration) error {
	if _, err := db.IndexSearch(ctx); err != nil {
		return err
	}
	if db.dialect.name() == DriverSQLite {
		return nil
	}
	if _, err := db.db.ExecContext(ctx, `ANALYZE TABLE cases, case_postings, case_gram_counts`); err != nil {
		return fmt.Errorf("analyze cases: %w", err)
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var name string
		var history int64
		err := db.db.QueryRowContext(ctx, `SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'`).Scan(&name, &history)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // MySQL keeps it elsewhere; nothing to wait on here
		}
		if err != nil {
			return fmt.Errorf("read InnoDB's history list: %w", err)
		}
		if history < 1000 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}
