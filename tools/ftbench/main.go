// Command ftbench writes the made-up texts of store/generate.go as files
// for LOAD DATA, so that designs of the console's text search on MariaDB
// (issue 20) can be loaded and timed at millions of cases without running
// the generator's inserts and triggers. It is a measurement tool only.
//
//	ftbench -n 5000000 -out /tmp/ftbench_data
//
// writes docs.tsv (id, case_id, text: one row per indexed text, the id as
// migration 00045 makes it), grams.tsv (id, case_id, hex grams as
// case_search_grams would write them), cases.tsv (case_id, the case's
// texts joined by newlines) and postings.tsv (bigram, case_id, sorted).
package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The generator's vocabulary (store/generate.go), copied so that the texts
// are the same kind.
var (
	estateFirst  = strings.Fields("金茂 海润 春华 银海 翠湖 东方 阳光 绿城 万科 中海 鲁信 颐和 枫林 丽景 海逸 锦绣 新都 福林 盛世 华润 碧海 榕树 紫荆 观澜 和达 瑞源 清江 松岭 石桥 柳岸")
	estateSecond = strings.Fields("湾 园 苑 府 城 庭 里 居 郡 湖畔 花园 家园 新村 公馆 雅居 名邸 山庄 广场 港湾 水岸")
	problems     = strings.Fields("路灯不亮 垃圾清运不及时 电梯故障停运 物业乱收费 停车位紧张 夜间施工噪音 学校接送拥堵 看病挂号难 拖欠工资 补贴未发放 道路破损积水 供暖温度不达标 井盖缺失 下水道堵塞 违章搭建 绿化带毁坏 公交站点太远 菜市场脏乱 楼道堆物 外墙脱落 自来水水质差 燃气管道老化 养老服务不足 快递车乱停")
	fixes        = strings.Fields("已派人维修 已督促物业整改 已协调有关部门 已列入年度计划 已约谈责任单位 已现场核实并处理")
)

// grams is case_search_grams in Go: every run of two and of three
// characters of the lower-cased text, as upper-case hex, space separated.
func grams(t string) string {
	r := []rune(strings.ToLower(t))
	if len(r) > 10000 {
		r = r[:10000]
	}
	var b strings.Builder
	for i := 0; i+1 < len(r); i++ {
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte(string(r[i : i+2])))))
		b.WriteByte(' ')
		if i+2 < len(r) {
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte(string(r[i : i+3])))))
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// Bigram is a pair of characters as one integer: the postings' key.
func Bigram(a, b rune) int64 { return int64(a)<<21 | int64(b) }

func main() {
	n := flag.Int("n", 1000000, "cases")
	out := flag.String("out", "/tmp/ftbench_data", "directory")
	query := flag.String("q", "", "print the bigrams of this text, one a line, and exit")
	ins := flag.String("ins", "", "print single-document inserts for design A, B or C (the first -n documents' texts, ids from -from) and exit")
	from := flag.Int64("from", 100000000, "the first case ID of -ins")
	flag.Parse()
	if *ins != "" {
		inserts(*ins, *n, *from)
		return
	}
	if *query != "" {
		r := []rune(strings.ToLower(*query))
		for i := 0; i+1 < len(r); i++ {
			fmt.Println(Bigram(r[i], r[i+1]))
		}
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	open := func(name string) (*os.File, *bufio.Writer) {
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			log.Fatal(err)
		}
		return f, bufio.NewWriterSize(f, 1<<20)
	}
	df, docs := open("docs.tsv")
	gf, gw := open("grams.tsv")
	cf, cw := open("cases.tsv")
	rng := rand.New(rand.NewPCG(2026, 11))
	statuses := []string{"open", "accepted", "handed", "closed", "closed", "closed", "reopened"}
	type posting struct {
		gram int64
		id   int32
	}
	postings := make([]posting, 0, *n*40)
	ndocs := 0
	for k := range *n {
		id := int64(k + 1)
		status := statuses[rng.IntN(len(statuses))]
		estate := estateFirst[rng.IntN(len(estateFirst))] + estateSecond[rng.IntN(len(estateSecond))]
		problem := problems[rng.IntN(len(problems))]
		texts := []struct {
			src  int64
			text string
		}{{0, fmt.Sprintf("%s%d号楼%s", estate, 1+rng.IntN(60), problem)}}
		if rng.IntN(2) == 0 {
			texts = append(texts, struct {
				src  int64
				text string
			}{1, fmt.Sprintf("你好，我住%s，%s已经%d天了，希望尽快解决。", estate, problem, 1+rng.IntN(30))})
		}
		if status != "open" && rng.IntN(4) > 0 {
			texts = append(texts, struct {
				src  int64
				text string
			}{2, "您反映的" + estate + problem + "问题，" + fixes[rng.IntN(len(fixes))] + "。"})
		}
		var all []string
		seen := map[int64]bool{}
		for _, t := range texts {
			// The source rows' IDs: the case's own, and for messages and
			// answers one of their own numbering; id*4+src as 00045.
			fmt.Fprintf(docs, "%d\t%d\t%s\n", id*4+t.src, id, t.text)
			fmt.Fprintf(gw, "%d\t%d\t%s\n", id*4+t.src, id, grams(t.text))
			ndocs++
			all = append(all, t.text)
			r := []rune(strings.ToLower(t.text))
			for i := 0; i+1 < len(r); i++ {
				g := Bigram(r[i], r[i+1])
				if !seen[g] {
					seen[g] = true
					postings = append(postings, posting{g, int32(id)})
				}
			}
		}
		fmt.Fprintf(cw, "%d\t%s\n", id, strings.Join(all, `\n`))
	}
	for _, w := range []*bufio.Writer{docs, gw, cw} {
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
	}
	df.Close()
	gf.Close()
	cf.Close()
	slices.SortFunc(postings, func(a, b posting) int {
		if a.gram != b.gram {
			if a.gram < b.gram {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	pf, pw := open("postings.tsv")
	kf, kw := open("gramcounts.tsv")
	for i := 0; i < len(postings); {
		j := i
		for j < len(postings) && postings[j].gram == postings[i].gram {
			fmt.Fprintf(pw, "%d\t%d\n", postings[j].gram, postings[j].id)
			j++
		}
		fmt.Fprintf(kw, "%d\t%d\n", postings[i].gram, j-i)
		i = j
	}
	pw.Flush()
	kw.Flush()
	pf.Close()
	kf.Close()
	log.Printf("%d cases, %d docs, %d postings", *n, ndocs, len(postings))
}

// inserts prints n single-document writes of each design, in autocommit,
// for timing what one more indexed text costs the server.
func inserts(design string, n int, from int64) {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	rng := rand.New(rand.NewPCG(7, 7))
	for k := range n {
		id := from + int64(k)
		estate := estateFirst[rng.IntN(len(estateFirst))] + estateSecond[rng.IntN(len(estateSecond))]
		problem := problems[rng.IntN(len(problems))]
		text := fmt.Sprintf("你好，我住%s，%s已经%d天了，希望尽快解决。", estate, problem, 1+rng.IntN(30))
		switch design {
		case "A":
			fmt.Fprintf(w, "INSERT INTO case_search (id, case_id, grams) VALUES (%d, %d, '%s');\n", id*4+1, id, grams(text))
		case "B":
			fmt.Fprintf(w, "INSERT INTO cases_text (case_id, body) VALUES (%d, '%s');\n", id, text)
		case "C":
			r := []rune(strings.ToLower(text))
			seen := map[int64]bool{}
			var vals, counts []string
			for i := 0; i+1 < len(r); i++ {
				g := Bigram(r[i], r[i+1])
				if !seen[g] {
					seen[g] = true
					vals = append(vals, fmt.Sprintf("(%d,%d)", g, id))
					counts = append(counts, fmt.Sprintf("(%d,1)", g))
				}
			}
			fmt.Fprintf(w, "BEGIN; INSERT IGNORE INTO postings (gram, case_id) VALUES %s; INSERT INTO gram_counts (gram, n) VALUES %s ON DUPLICATE KEY UPDATE n = n + 1; COMMIT;\n",
				strings.Join(vals, ","), strings.Join(counts, ","))
		}
	}
}
