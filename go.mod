module github.com/beian/beian

go 1.26.8

require golang.org/x/net v0.62.0

require (
	github.com/6tail/lunar-go v1.4.7 // indirect
	golang.org/x/text v0.43.0 // indirect
)
