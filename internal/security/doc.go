// Package security holds palabre's end-to-end security suites, run against
// a whole server (REST API and web console) on a real listener over SQLite
// and PostgreSQL: the cross-workspace matrix, which calls every route of
// the API and of the console as every kind of caller, on their own
// workspace's things and on another's, and the XSS corpus, which pushes
// hostile texts through every input and reads every output.
//
// It has no code of its own: everything is in its tests. They are short by
// default; PALABRE_SECURITY_LONG=1 runs every combination and the whole
// corpus.
package security
