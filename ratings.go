package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Rating verdicts (满意度测评), as the API spells them.
const (
	RatingSatisfied     = "satisfied"
	RatingBasically     = "basically_satisfied"
	RatingDissatisfied  = "dissatisfied"
	MaxRatingCommentLen = 500 // runes
)

var ratingLabels = map[string]string{RatingSatisfied: "满意", RatingBasically: "基本满意", RatingDissatisfied: "不满意"}

// RatingLabel is how a verdict reads in Chinese ("" for none).
func RatingLabel(verdict string) string { return ratingLabels[verdict] }

// ParseVerdict accepts a verdict as the API spells it or in Chinese.
func ParseVerdict(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := ratingLabels[s]; ok {
		return s, true
	}
	for v, label := range ratingLabels {
		if label == s {
			return v, true
		}
	}
	return "", false
}

// Rating is a citizen's verdict on the latest answer to their case.
type Rating struct {
	Verdict string
	Comment string
	At      time.Time
	// ReplyEventID is the answer rated: each answer is rated once.
	ReplyEventID int64
}

// RatingTx is what rating needs from storage, in one transaction.
type RatingTx interface {
	groupNotifier
	// CaseByNumber finds openid's case by its number (ENOTFOUND: none of theirs).
	CaseByNumber(ctx context.Context, openid, number string) (Case, error)
	// LatestReply is the ID of the case's latest answer (ENOTFOUND: none yet).
	LatestReply(ctx context.Context, caseID int64) (int64, error)
	// AddRating records r against its answer (ECONFLICT: that answer was
	// rated already) and keeps the case's latest verdict and count of poor
	// ones; dissatisfied reopens the case.
	AddRating(ctx context.Context, caseID int64, r Rating) (poorRatings int, err error)
	DutyRecorder
}

// RatingStore runs fn in one write transaction.
type RatingStore interface {
	UpdateRating(ctx context.Context, fn func(RatingTx) error) error
}

// Ratings takes citizens' verdicts on the answers they got. A dissatisfied
// one sends the case back (二次交办) to the group that had it, whose deputies
// are told, as a new case's are.
type Ratings struct {
	Store  RatingStore
	Notify NotifyConfig
	Now    func() time.Time
	// Queued, if set, is called after a rating queued notifications.
	Queued func()
}

// Rate records openid's verdict on the latest answer to their case number.
func (rs *Ratings) Rate(ctx context.Context, openid, number, verdict, comment string) (Rating, error) {
	v, ok := ParseVerdict(verdict)
	if !ok {
		return Rating{}, Errorf(EINVALID, "评价（verdict）应为 满意、基本满意 或 不满意（satisfied / basically_satisfied / dissatisfied）")
	}
	comment = strings.TrimSpace(comment)
	switch {
	case !utf8.ValidString(comment):
		return Rating{}, Errorf(EINVALID, "意见（comment）含有无法识别的字符")
	case utf8.RuneCountInString(comment) > MaxRatingCommentLen:
		return Rating{}, Errorf(EINVALID, "意见（comment）不能超过%d个字", MaxRatingCommentLen)
	case v == RatingDissatisfied && comment == "":
		return Rating{}, Errorf(EINVALID, "请在意见（comment）中说明哪里不满意，便于重新办理")
	}
	r := Rating{Verdict: v, Comment: comment, At: time.Now()}
	if rs.Now != nil {
		r.At = rs.Now()
	}
	queued := false
	err := rs.Store.UpdateRating(ctx, func(tx RatingTx) error {
		c, err := tx.CaseByNumber(ctx, openid, number)
		if err != nil {
			return err
		}
		if r.ReplyEventID, err = tx.LatestReply(ctx, c.ID); err != nil {
			if ErrorCode(err) == ENOTFOUND {
				return Errorf(ECONFLICT, "问题 %s 还没有答复，收到答复后再评价", c.Number)
			}
			return err
		}
		poor, err := tx.AddRating(ctx, c.ID, r)
		if err != nil {
			return err
		}
		detail := "群众评价：" + RatingLabel(v)
		if comment != "" {
			detail += "。意见：" + comment
		}
		if err := tx.AddCaseEvent(ctx, c.ID, r.At, EventRated, "群众", detail); err != nil {
			return err
		}
		if v != RatingDissatisfied {
			return recordCaseDuty(ctx, tx, c, DutySatisfied, r.At)
		}
		reopened := fmt.Sprintf("群众不满意，问题重新交办（第%d次不满意）", poor)
		if err := tx.AddCaseEvent(ctx, c.ID, r.At, EventReopened, "系统", reopened); err != nil {
			return err
		}
		c.Summary = "群众不满意：" + comment
		queued = true
		return notifyGroup(ctx, tx, rs.Notify, c, r.At, "群众不满意，请重新办理", fmt.Sprintf("reopen-%s-%d", c.Number, r.ReplyEventID))
	})
	if err != nil {
		return Rating{}, err
	}
	if queued && rs.Queued != nil {
		rs.Queued()
	}
	return r, nil
}
