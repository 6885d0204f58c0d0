package planbot

import (
	"math"
	"slices"
)

// Tally is how the reports on an item add up to the item's figure.
type Tally string

const (
	// TallyShared: the item has one running figure and whoever reports
	// gives the latest one. It is the default because most items with
	// several owners are one piece of work done together (a 推介会 two
	// offices hold jointly): adding each owner's figure would count the
	// same work twice.
	TallyShared Tally = "shared"
	// TallyPerOwner: each owner reports their own part (the households
	// joining each village's cooperative) and the item's figure is the sum
	// of every owner's latest figure, so the last village to report does
	// not hide what the others have done.
	TallyPerOwner Tally = "per_owner"
)

// Valid reports whether t is TallyShared, TallyPerOwner or "" (which
// means TallyShared).
func (t Tally) Valid() bool { return t == "" || t == TallyShared || t == TallyPerOwner }

// ShareOwner is whose share of a per_owner item r reports: the owner it
// was reported on behalf of, else its reporter. A 文书 reporting for the
// village's 书记 adds to the village's figure, not to a share of their own.
func ShareOwner(r Report) string {
	if r.OnBehalfOf != "" {
		return r.OnBehalfOf
	}
	return r.Reporter
}

// Share is one owner's part of a per_owner item.
type Share struct {
	Owner string // person key
	// Value is the owner's figure in the target's unit, from their latest
	// effective report that gives one; nil if none has. A later report
	// with only a percent or a note does not reset it: a percent of one
	// village's part cannot be added to the others'.
	Value *Amount
	Done  bool    // the owner's latest effective report is Done
	Last  *Report // the owner's latest effective report, nil if none
}

// ItemShares is each owner's share of a per_owner item: one per owner in
// the order of item.Owners (a Share with nil Last for an owner who never
// reported), then one for each other person whose reports count, in the
// order of their first effective report, so that what someone no longer
// an owner (removed from the YAML) reported does not disappear. For a
// shared item it is nil.
//
// reports is the item's full history ordered by ID, superseded rows and
// withdrawals included, as DeriveStatus takes it; only the effective ones
// count (see Effective). A correction belongs to the share of whoever it
// is from (ShareOwner), like any report.
func ItemShares(item Item, reports []Report) []Share {
	if item.Tally != TallyPerOwner {
		return nil
	}
	idx := shareIndexes(item, reports)
	shares := make([]Share, len(idx))
	for k, x := range idx {
		shares[k].Owner = x.owner
		if x.last >= 0 {
			r := reports[x.last]
			shares[k].Last, shares[k].Done = &r, r.Done
		}
		if x.value >= 0 {
			v := *reports[x.value].Value
			shares[k].Value = &v
		}
	}
	return shares
}

// shareIndex is a Share as indexes into the history (-1 for none), so
// that DeriveStatus, which needs only the figures, copies no report.
type shareIndex struct {
	owner       string
	last, value int
}

// shareIndexes is ItemShares's work, for a per_owner item.
func shareIndexes(item Item, reports []Report) []shareIndex {
	idx := make([]shareIndex, len(item.Owners), len(item.Owners)+1)
	for i, o := range item.Owners {
		idx[i] = shareIndex{o, -1, -1}
	}
	var sup supersededSet
	sup.fill(reports)
	for i := range reports {
		r := &reports[i]
		if r.Withdrawn || sup.has(r.ID) {
			continue
		}
		owner := ShareOwner(*r)
		k := slices.IndexFunc(idx, func(x shareIndex) bool { return x.owner == owner })
		if k < 0 {
			idx = append(idx, shareIndex{owner, -1, -1})
			k = len(idx) - 1
		}
		idx[k].last = i
		if valueCounts(*r, item.Target) {
			idx[k].value = i
		}
	}
	return idx
}

// perOwnerProgress is a per_owner item's progress and figure: the sum of
// the shares' values against the target, and 100 once every owner has
// reported done or the sum reaches the target. The sum is nil when no
// share has a value.
func perOwnerProgress(item Item, reports []Report) (progress float64, sum *Amount) {
	allDone := len(item.Owners) > 0
	for k, x := range shareIndexes(item, reports) {
		if k < len(item.Owners) && (x.last < 0 || !reports[x.last].Done) {
			allDone = false
		}
		if x.value < 0 {
			continue
		}
		v := reports[x.value].Value
		if sum == nil {
			sum = &Amount{Unit: v.Unit}
		}
		sum.Value = saturatingAdd(sum.Value, v.Value)
	}
	switch {
	case allDone:
		return 100, sum
	case sum != nil: // valueCounts guarantees a target with a positive value
		return clampPercent(sum.Value.Float64() / item.Target.Value.Float64() * 100), sum
	}
	return 0, nil
}

// saturatingAdd is x+y held at the ends of the Decimal range: a sum of
// villages' figures that large is nonsense already, and wrapping round to
// a negative would make it look like no progress at all.
func saturatingAdd(x, y Decimal) Decimal {
	if s, ok := addDecimal(x, y); ok {
		return s
	}
	if y > 0 {
		return math.MaxInt64
	}
	return -math.MaxInt64
}
