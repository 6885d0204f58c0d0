package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/delivery"
	"planbot/scheduler"
	"planbot/storage"
	"planbot/telegram"
	"planbot/wecom"
)

// app is one serving bot: the database, the conversation, the reminders,
// and for each chat platform configured its receiver (Telegram's poll
// loop, WeCom's long connection) and its outbox sender, wired together.
// `planbot run` builds one from its flags and the end-to-end tests build
// one against the fake Bot API and the fake WeCom, so the tests run the
// wiring that serves. Open, Run and Close are called once each, in that
// order; Open and Run take the same ctx (the poll loop's requests are tied
// to it).
type app struct {
	// Set before Open.
	env        *env // the log, database options, font; env.now is the conversation's clock
	Config     *config.Config
	ConfigPath string // re-read by /reload and SIGHUP; "" is the built-in example
	DBPath     string
	// Token is Telegram's bot token; "" serves no Telegram.
	Token string
	// WeComSecret is the WeCom AI bot's secret; "" serves no AI bot, even
	// with a wecom: section. WeComRobotKeys are the group robots' webhook
	// keys by robot name (from the environment).
	WeComSecret    string
	WeComRobotKeys map[string]string
	// PollTimeout is the long poll's; HandlerTimeout bounds one update.
	PollTimeout, HandlerTimeout time.Duration
	// NewDB serves the file at DBPath even if it is not the database
	// served there before (see servedBefore).
	NewDB bool
	// Clock is the poll loop's, the sender's and the reminders'; nil is
	// env.now. The tests fix the conversation's time while these move.
	Clock func() time.Time
	// DB, if set before Open, is served instead of opening DBPath: no
	// instance lock is taken and Close leaves it open. The tests keep one
	// database across instances, as a restart keeps the file.
	DB *storage.DB
	// WrapOutbox, if set, stands between the sender and the outbox (tests
	// count sends, or fail them).
	WrapOutbox func(delivery.Outbox) delivery.Outbox
	// Pace, if set, adjusts each platform's pacing (the tests turn it off
	// to script a conversation that would otherwise take a minute).
	Pace func(platform string, l delivery.Limits) delivery.Limits
	// NoReminders leaves the reminders' cron off: it fires on the wall
	// clock, which would drop the plan's 09:00 reminders into a scripted
	// conversation whose clock says another day.
	NoReminders bool

	// Built by Open.
	Bot       *bot.Bot
	Sender    *delivery.Sender // Telegram's; nil without Telegram
	Senders   []*delivery.Sender
	Scheduler *scheduler.Scheduler
	Telegram  *telegram.Poller // nil without Telegram
	WeCom     *wecom.Receiver  // nil without the WeCom AI bot
	poller    *tgbotapi.BotAPI
	closers   []func() // run by Close, last first
}

// errStopped is Open's answer when ctx ended while it waited (for room on
// the disk, for Telegram): a stop asked for, not a failure.
var errStopped = errors.New("stopped while starting")

func (a *app) clock() func() time.Time {
	if a.Clock != nil {
		return a.Clock
	}
	return a.env.now
}

// Open opens the database, reaches Telegram (when it is served) and
// builds the parts. On an error, what it opened is closed by Close all
// the same.
func (a *app) Open(ctx context.Context) error {
	if a.DB == nil {
		if err := a.openDatabase(ctx); err != nil {
			return err
		}
	}
	var senderAPI *tgbotapi.BotAPI
	if a.Token != "" {
		var err error
		if senderAPI, err = a.connectTelegram(ctx); err != nil {
			return err
		}
	}
	a.build(senderAPI)
	if a.Telegram != nil {
		if err := telegram.UntilReachable(ctx, a.env.log, "delete webhook", func() error { return a.Telegram.Start(a.poller.Self) }); ctx.Err() != nil {
			a.env.log.Info("planbot stopped before it could reach Telegram")
			return errStopped
		} else if err != nil {
			return err
		}
	}
	if err := a.DB.RecordServed(ctx, a.platforms(), a.env.now()); err != nil {
		// planbot fire from another process then queues to every account.
		a.env.log.Warn("could not record the platforms served", "err", err)
	}
	a.env.log.Info("planbot is running", "platforms", a.platforms(), "db", a.DB.Path(), "items", len(a.Config.Plan.Items))
	a.env.warnIfNoRenderer(a.env.log)
	return nil
}

// openDatabase takes the instance lock, refuses a database that is not the
// one served here before (unless NewDB), waits out a disk too full to open
// it on, and locks the file under all its names.
func (a *app) openDatabase(ctx context.Context) error {
	release, err := storage.AcquireInstanceLock(a.DBPath)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { release() })
	// Also the file itself, for its other names (hard links); one not
	// made yet has none, and is locked once Open made it.
	locked := false
	if _, err := os.Stat(a.DBPath); err == nil {
		if err := a.lockFile(); err != nil {
			return err
		}
		locked = true
	}
	open := func() (*storage.DB, error) {
		check := false
		if !a.NewDB {
			var err error
			if check, err = servedBefore(a.DBPath); err != nil {
				return nil, err
			}
		}
		db, err := storage.Open(ctx, a.DBPath, a.env.storageOptions()...)
		if err != nil {
			return nil, err
		}
		if check {
			// Before the plan is synced into it: a different file must
			// not be written to.
			if err := db.CheckIdentity(ctx); err != nil {
				db.Close()
				return nil, err
			}
		}
		if err := syncPlan(ctx, a.env, a.Config, db); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	db, err := open()
	if errors.Is(err, planbot.ErrUnwritable) {
		admins := bot.New(botConfig(a.env, a.Config, a.ConfigPath)).AdminChats()
		db, err = a.openWhenWritable(ctx, open, admins, err)
	}
	if ctx.Err() != nil && err != nil {
		a.env.log.Info("planbot stopped before the database could be opened")
		return errStopped
	} else if err != nil {
		return err
	}
	a.DB = db
	a.closers = append(a.closers, func() { db.Close() })
	if !locked {
		if err := a.lockFile(); err != nil {
			return err
		}
	}
	recordServed(ctx, a.env, db)
	return nil
}

func (a *app) lockFile() error {
	unlock, err := storage.LockDatabaseFile(a.DBPath)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { unlock() })
	return nil
}

// build makes the conversation, the reminders, and each platform's
// receiver and sender. The reminders read the plan the conversation holds
// (a reload changes it) and the conversation restarts them after a
// reload: both are assigned here before anything runs.
func (a *app) build(telegramAPI *tgbotapi.BotAPI) {
	log, now := a.env.log, a.clock()
	a.Scheduler = newScheduler(a.env, a.DB, func() *planbot.Plan { return a.Bot.Plan() }, log)
	a.Scheduler.Now = now
	a.Scheduler.Queued = a.wake
	a.Scheduler.Served = a.served
	bc := botConfig(a.env, a.Config, a.ConfigPath)
	bc.Reloaded = a.reloaded
	a.Bot = bot.New(bc)
	if telegramAPI != nil {
		a.buildTelegram(telegramAPI)
	}
	if w := a.Config.WeCom; w != nil {
		a.buildWeCom(w)
	}
}

// wake tells every sender there is something new to send.
func (a *app) wake() {
	for _, s := range a.Senders {
		s.Wake()
	}
}

// reloaded restarts the reminders on a reloaded plan. Not inline: a
// running job may be waiting for the database the reloading message holds.
func (a *app) reloaded(*planbot.Plan) {
	if a.NoReminders {
		return
	}
	go func() {
		if err := a.Scheduler.Restart(context.Background()); err != nil {
			a.env.log.Error("reminders not restarted after reload", "err", err)
		}
	}()
}

// Run serves until ctx ends or a receiver fails for good (Telegram's 409
// Conflict), and returns that receiver's error. Shutdown order: stop
// receiving (the update or event in hand is finished), then the reminders
// (running jobs finish), then the senders (the messages in flight are
// finished); Close then closes the database and drops the locks.
func (a *app) Run(ctx context.Context) error {
	log := a.env.log
	stopSending := a.startSenders(ctx)
	if !a.NoReminders {
		if err := a.Scheduler.CatchUp(ctx); err != nil {
			log.Error("catching up missed reminders failed", "err", err)
		}
		if err := a.Scheduler.Start(); err != nil {
			stopSending()
			return err
		}
	}
	stopHangup := reloadOnHangup(ctx, a.env, a.Bot, a.DB, a.wake)
	defer stopHangup()
	err := a.receive(ctx)
	if !a.NoReminders {
		stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		a.Scheduler.Stop(stopCtx) // running reminder jobs finish first
		cancelStop()
	}
	stopSending()
	if a.WeCom != nil {
		a.WeCom.Close() // the WeCom sender's requests went over its connection
	}
	return telegram.Redact(err, a.Token)
}

// startSenders runs every platform's sender on a context of their own,
// and returns what stops them, each after its message in flight.
func (a *app) startSenders(ctx context.Context) (stop func()) {
	senderCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, s := range a.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(senderCtx); err != nil {
				a.env.log.Error("sender stopped", "err", err)
			}
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// receive runs every platform's receiver until ctx ends or one of them
// fails for good; then the others stop too, and its error is returned.
func (a *app) receive(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var receivers []func(context.Context) error
	if a.Telegram != nil {
		receivers = append(receivers, a.Telegram.Poll)
	}
	if a.WeCom != nil {
		receivers = append(receivers, a.WeCom.Run)
	}
	errs := make(chan error, len(receivers))
	for _, r := range receivers {
		go func() { errs <- r(ctx) }()
	}
	var first error
	for range receivers {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// Close closes what Open opened, last first.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// openWhenWritable waits out a database that cannot be opened for
// writing at start (a full disk: SQLite cannot even rebuild its shared
// memory file), as the poll loop waits out one that fills while serving:
// the admins are told straight through the Bot API when it starts and
// when it ends, the updates wait at Telegram meanwhile (nothing is polled,
// so nothing is confirmed), and opening is tried again (planbot.Backoff)
// until it works or ctx ends.
func (a *app) openWhenWritable(ctx context.Context, open func() (*storage.DB, error), admins []planbot.ChatID, cause error) (*storage.DB, error) {
	e := a.env
	began := e.now()
	e.log.Error("the database cannot be written at start: waiting for room; updates stay at Telegram", "err", cause)
	api, err := telegram.NewClient(a.Token, a.Config.Bot.APIEndpoint)
	if a.Token == "" {
		// WeCom's connection is not up before the database is: the log
		// is all that can be told.
		err = errors.New("Telegram is not served")
	}
	notify := func(text string) {
		if err == nil {
			err = telegram.Notify(api, admins, text)
		}
		if err != nil {
			e.log.Warn("could not tell the admins about the database", "err", telegram.Redact(err, a.Token))
		}
	}
	notify(telegram.OutageNotice(cause))
	for n := 1; ; n++ {
		if !planbot.Sleep(ctx, planbot.Backoff(n)) {
			return nil, ctx.Err()
		}
		db, err := open()
		switch {
		case err == nil:
			e.log.Info("the database can be written again", "down_for", e.now().Sub(began).Round(time.Second))
			notify(telegram.RecoveredNotice(e.now().Sub(began)))
			return db, nil
		case !errors.Is(err, planbot.ErrUnwritable):
			return nil, err
		}
		e.log.Warn("the database still cannot be written", "err", err)
	}
}
