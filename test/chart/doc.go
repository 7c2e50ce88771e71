// Package chart holds the tests that render the real vcluster chart with the function's values.
package chart
