module openaisim

go 1.19
