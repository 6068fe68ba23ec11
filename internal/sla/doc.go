// Package sla computes a workspace's service levels: when each
// conversation must be answered or resolved, counted in the business
// hours of the workspace's calendar, and whether a clock is close to its
// due time or past it.
//
// The package is pure: it reads no database and no clock. Callers pass
// the current time and the conversation's facts.
//
// # Business time
//
// A [Calendar] names an IANA time zone, weekly opening hours as local
// wall-clock intervals ("09:00-12:30", end exclusive, "24:00" ends a day)
// and holidays as local dates, closed all day. A calendar without hours is
// open around the clock, except on holidays. [Calendar.Compile] makes a
// [Clock], which adds business time to an instant ([Clock.Add]) and
// measures it between two instants ([Clock.Between]); the two agree:
// Between(t, Add(t, d)) == d. Business time stops outside the hours: a
// message that arrives on Friday evening starts its clock on Monday
// morning.
//
// # Daylight saving time
//
// Each day's intervals are turned into real instants in the calendar's
// zone, so an interval is as long as the clocks on the wall say it is:
// 01:00-04:00 lasts two real hours on the night clocks go forward and
// four on the night they go back. A wall-clock time that does not exist
// (skipped when clocks go forward) stands for the moment clocks jump; a
// time that occurs twice (when clocks go back) stands for its first
// occurrence. Instants returned are in UTC; instants given may be in any
// location.
//
// # Policies and due times
//
// A workspace's [Settings] list [Policy] values in order; the first that
// applies to a conversation's priority and channel sets its targets. A
// conversation has at most two running clocks:
//
//   - response: from the oldest customer message not yet answered, the
//     first-response target until staff first replied, the next-response
//     target afterwards;
//   - resolution: from the conversation's creation until it is resolved.
//
// A zero target sets no clock. [Clock.Dues] computes the due times.
//
// # Warning and breach
//
// [Clock.State] tells where a clock stands at a given time: breached once
// the due time is reached, warning when the business time left is at most
// the workspace's warn-before duration, and nothing otherwise. What
// follows a breach (notify, reroute, raise the priority) is set by
// [Escalation] and carried out by the callers.
package sla
