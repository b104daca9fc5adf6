//go:build race

package main

// raceDetector is set when the tests run with -race, which makes serve
// several times slower: the soak test scales itself down to stay within
// its two minutes.
const raceDetector = true
