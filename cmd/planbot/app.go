package main

import (
	"context"
	"errors"
	"os"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/delivery"
	"planbot/scheduler"
	"planbot/storage"
	"planbot/telegram"
)

// app is one serving bot: the database, the conversation, the outbox
// sender, the reminders and the Telegram poll loop, wired together.
// `planbot run` builds one from its flags and the end-to-end tests build
// one against the fake Bot API, so the tests run the wiring that serves.
// Open, Run and Close are called once each, in that order; Open and Run
// take the same ctx (the poll loop's requests are tied to it).
type app struct {
	// Set before Open.
	env        *env // the log, database options, font; env.now is the conversation's clock
	Config     *config.Config
	ConfigPath string // re-read by /reload and SIGHUP; "" is the built-in example
	DBPath     string
	Token      string
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
	// Pace, if set, adjusts Telegram's pacing (the tests turn it off to
	// script a conversation that would otherwise take a minute).
	Pace func(delivery.Limits) delivery.Limits
	// NoReminders leaves the reminders' cron off: it fires on the wall
	// clock, which would drop the plan's 09:00 reminders into a scripted
	// conversation whose clock says another day.
	NoReminders bool

	// Built by Open.
	Bot       *bot.Bot
	Sender    *delivery.Sender // Telegram's
	Scheduler *scheduler.Scheduler
	Telegram  *telegram.Poller
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

// Open opens the database, reaches Telegram and builds the parts. On an
// error, what it opened is closed by Close all the same.
func (a *app) Open(ctx context.Context) error {
	if a.DB == nil {
		if err := a.openDatabase(ctx); err != nil {
			return err
		}
	}
	// A server that boots before its network is up keeps trying; a wrong
	// token fails at once.
	var senderAPI *tgbotapi.BotAPI
	err := telegram.UntilReachable(ctx, a.env.log, "connect", func() (err error) {
		a.poller, err = telegram.Connect(ctx, a.Token, a.Config.Bot.APIEndpoint, a.PollTimeout)
		if err != nil {
			return err
		}
		// The sender's requests are not tied to ctx: a message in flight
		// at shutdown is finished, not abandoned.
		senderAPI, err = telegram.NewClient(a.Token, a.Config.Bot.APIEndpoint)
		return telegram.Redact(err, a.Token)
	})
	if ctx.Err() != nil {
		a.env.log.Info("planbot stopped before it could reach Telegram")
		return errStopped
	} else if err != nil {
		return err
	}
	a.build(senderAPI)
	if err := telegram.UntilReachable(ctx, a.env.log, "delete webhook", func() error { return a.Telegram.Start(a.poller.Self) }); ctx.Err() != nil {
		a.env.log.Info("planbot stopped before it could reach Telegram")
		return errStopped
	} else if err != nil {
		return err
	}
	a.env.log.Info("planbot is running", "bot", a.poller.Self.UserName, "db", a.DB.Path(), "items", len(a.Config.Plan.Items))
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
		db, err := storage.Open(ctx, a.DBPath, a.env.dbOptions...)
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

// build makes the conversation, the sender, the reminders and the poll
// loop. The reminders read the plan the conversation holds (a reload
// changes it) and the conversation restarts them after a reload: both
// are assigned here before anything runs.
func (a *app) build(senderAPI *tgbotapi.BotAPI) {
	log, now := a.env.log, a.clock()
	var outbox delivery.Outbox = a.DB
	if a.WrapOutbox != nil {
		outbox = a.WrapOutbox(outbox)
	}
	rates := a.Config.Bot
	pace := telegram.Limits(rates.PerSecond, rates.PerChatSeconds, rates.PerGroupPerMinute)
	if a.Pace != nil {
		pace = a.Pace(pace)
	}
	a.Sender = delivery.New(telegram.Platform, telegram.NewChannel(senderAPI, a.Token), outbox, pace, log, now)

	a.Scheduler = newScheduler(a.env, a.DB, func() *planbot.Plan { return a.Bot.Plan() }, log)
	a.Scheduler.Now = now
	a.Scheduler.Queued = a.Sender.Wake
	bc := botConfig(a.env, a.Config, a.ConfigPath)
	bc.Reloaded = a.reloaded
	a.Bot = bot.New(bc)
	var menu []telegram.Command
	for _, c := range bot.Commands() {
		menu = append(menu, telegram.Command(c))
	}
	a.Telegram = &telegram.Poller{Conv: a.Bot, Updates: a.DB, API: a.poller, Token: a.Token, Commands: menu,
		Log: log, Now: now, PollTimeout: a.PollTimeout, HandlerTimeout: a.HandlerTimeout,
		OnHandled: a.Sender.Wake, OnReachable: a.Sender.Reachable}
	a.Sender.OnReachable = a.Telegram.Reachable
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

// Run serves until ctx ends or polling fails for good, and returns the
// poll loop's error. Shutdown order: stop polling (the update in hand is
// finished), then the reminders (running jobs finish), then the sender
// (the message in flight is finished); Close then closes the database and
// drops the locks.
func (a *app) Run(ctx context.Context) error {
	log := a.env.log
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		if err := a.Sender.Run(senderCtx); err != nil {
			log.Error("sender stopped", "err", err)
		}
	}()
	stopSending := func() {
		stopSender()
		<-senderDone
	}
	if !a.NoReminders {
		if err := a.Scheduler.CatchUp(ctx); err != nil {
			log.Error("catching up missed reminders failed", "err", err)
		}
		if err := a.Scheduler.Start(); err != nil {
			stopSending()
			return err
		}
	}
	stopHangup := reloadOnHangup(ctx, a.env, a.Bot, a.DB, a.Sender)
	defer stopHangup()
	pollErr := a.Telegram.Poll(ctx)
	if !a.NoReminders {
		stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		a.Scheduler.Stop(stopCtx) // running reminder jobs finish first
		cancelStop()
	}
	stopSending()
	return telegram.Redact(pollErr, a.Token)
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
