package telegram

import (
	"context"
	"errors"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// UntilReachable runs step until it succeeds, Telegram refuses it for
// good (a 4xx: a wrong token …), or ctx ends: a server that boots before
// its network is up keeps trying, a wrong token fails at once. Network
// errors and 5xx are waited out (planbot.Backoff, or the retry_after
// Telegram asks for). f's errors are logged as they are: f redacts the
// token (Connect and NewClient do).
func UntilReachable(ctx context.Context, log *slog.Logger, step string, f func() error) error {
	for n := 1; ; n++ {
		err := f()
		var apiErr *tgbotapi.Error
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &apiErr) && apiErr.Code < 500 && apiErr.RetryAfter == 0:
			return err
		}
		wait := planbot.Backoff(n)
		if apiErr != nil && apiErr.RetryAfter > 0 {
			wait = time.Duration(apiErr.RetryAfter) * time.Second
		}
		log.Warn("Telegram is not reachable yet; trying again", slog.String("step", step), errAttr(err), slog.Duration("retry_in", wait))
		if !planbot.Sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}
