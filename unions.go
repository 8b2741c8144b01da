package mashang

import (
	"context"
	"log/slog"
	"time"
)

// UnionStore keeps followers' unionids.
type UnionStore interface {
	FollowersWithoutUnion(ctx context.Context, limit int) ([]string, error)
	RecordFollowerUnion(ctx context.Context, openid, unionid string, at time.Time) error
}

// UnionReader asks WeChat for a follower's unionid ("" when the accounts
// are not bound to one Open Platform account, or they no longer follow).
type UnionReader interface {
	FollowerUnionID(ctx context.Context, openid string) (string, error)
}

// Unions reads followers' unionids after they follow, so that a citizen
// signed in to the Mini Program also finds what they raised through the
// Official Account. WeChat's answer is kept even when empty, so each
// follower is asked once.
type Unions struct {
	Store  UnionStore
	WeChat UnionReader
	Log    *slog.Logger
	Now    func() time.Time
}

// Fill asks WeChat for the unionids not read yet; one WeChat will not give
// now is asked again at the next pass.
func (u *Unions) Fill(ctx context.Context) (int, error) {
	openids, err := u.Store.FollowersWithoutUnion(ctx, 100)
	if err != nil {
		return 0, err
	}
	filled := 0
	for _, openid := range openids {
		unionid, err := u.WeChat.FollowerUnionID(ctx, openid)
		if err != nil {
			if ctx.Err() != nil {
				return filled, ctx.Err()
			}
			u.log().Warn("unionid not read; will retry", "err", err)
			continue
		}
		now := time.Now()
		if u.Now != nil {
			now = u.Now()
		}
		if err := u.Store.RecordFollowerUnion(ctx, openid, unionid, now); err != nil {
			return filled, err
		}
		filled++
	}
	return filled, nil
}

// Run fills unionids until ctx ends, woken by new followers or every poll.
func (u *Unions) Run(ctx context.Context, wake <-chan struct{}, poll time.Duration) {
	runLoop(ctx, wake, poll, func() {
		if _, err := u.Fill(ctx); err != nil && ctx.Err() == nil {
			u.log().Error("unionids", "err", err)
		}
	})
}

func (u *Unions) log() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.Default()
}
