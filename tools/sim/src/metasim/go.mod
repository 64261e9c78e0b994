module metasim

go 1.19
