package planbot

import (
	"cmp"
	"slices"
	"time"
)

// ItemView is an item with its status at one moment.
type ItemView struct {
	Item   Item
	Status ItemStatus
}

// IndicatorView is an indicator with its standing at one moment.
type IndicatorView struct {
	Indicator Indicator
	Standing  Standing
}

// SectionView is a section with its items and their counts by status.
type SectionView struct {
	Section Section
	Items   []ItemView
	Counts  map[Status]int
}

// Overview is where the whole plan stands at At: what the status table, the
// chat's /plan and the weekly digest all show.
type Overview struct {
	At         time.Time
	Sections   []SectionView
	Indicators []IndicatorView
	Counts     map[Status]int
}

// Overview derives every item's status and every indicator's standing at
// now. reports maps item code to its full history ordered by ID; latest maps
// indicator key to its latest effective observation in the plan year.
func (p *Plan) Overview(reports map[string][]Report, latest map[string]Observation, now time.Time) Overview {
	ov := Overview{At: now, Counts: map[Status]int{}}
	bySection := map[string]int{}
	for _, s := range p.Sections {
		bySection[s.Code] = len(ov.Sections)
		ov.Sections = append(ov.Sections, SectionView{Section: s, Counts: map[Status]int{}})
	}
	for _, it := range p.Items {
		st := DeriveStatus(it, reports[it.Code], now, p.Location, p.Rules)
		i, ok := bySection[it.Section]
		if !ok {
			continue // config validation guarantees the section exists
		}
		sv := &ov.Sections[i]
		sv.Items = append(sv.Items, ItemView{Item: it, Status: st})
		sv.Counts[st.Status]++
		ov.Counts[st.Status]++
	}
	ov.Indicators = p.IndicatorViews(latest, now)
	return ov
}

// IndicatorViews is how each indicator stands at now, given the latest
// observation of each (by key): the indicator half of Overview, which
// needs no item history.
func (p *Plan) IndicatorViews(latest map[string]Observation, now time.Time) []IndicatorView {
	views := make([]IndicatorView, 0, len(p.Indicators))
	for _, ind := range p.Indicators {
		var obs *Observation
		if o, ok := latest[ind.Key]; ok {
			obs = &o
		}
		views = append(views, IndicatorView{Indicator: ind, Standing: ind.StandingAt(obs, p.Year, now, p.Location, p.Rules)})
	}
	return views
}

// ObservedBy is the span of the plan year's observations made at or
// before at, as LatestObservations takes it ([from, to)): what the
// indicators stand at, at at. A figure of later must not count, so a view
// "as at" a past moment shows that moment.
func (p *Plan) ObservedBy(at time.Time) (from, to time.Time) {
	from, to = p.YearSpan()
	if at.Before(to) {
		to = at.Add(time.Nanosecond)
	}
	return from, to
}

// YearSpan is the plan year as the half-open interval [from, to) in the
// plan's location, for querying the year's observations.
func (p *Plan) YearSpan() (from, to time.Time) {
	from = time.Date(p.Year, time.January, 1, 0, 0, 0, 0, p.Location)
	return from, from.AddDate(1, 0, 0)
}

// ByUrgency orders items the way a cadre wants to read them: overdue first
// (longest overdue on top), then at risk, silent, not started, on track,
// done; ties by due date, then code.
func ByUrgency(items []ItemView) {
	rank := map[Status]int{}
	for i, s := range Statuses {
		rank[s] = i
	}
	slices.SortStableFunc(items, func(a, b ItemView) int {
		return cmp.Or(
			cmp.Compare(rank[a.Status.Status], rank[b.Status.Status]),
			cmp.Compare(b.Status.DaysOverdue, a.Status.DaysOverdue),
			a.Item.Due.Compare(b.Item.Due),
			cmp.Compare(a.Item.Code, b.Item.Code),
		)
	})
}
