module palabre/bench/compare

go 1.26.8

require (
	github.com/abadojack/whatlanggo v1.0.1
	github.com/jonreiter/govader v0.0.0-20250429093935-f6505c8d03cc
	palabre v0.0.0
)

require (
	github.com/kljensen/snowball v0.10.0 // indirect
	gonum.org/v1/gonum v0.8.2 // indirect
)

replace palabre => ../..
