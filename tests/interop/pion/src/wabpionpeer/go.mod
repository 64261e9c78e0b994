module wabpionpeer

go 1.19
