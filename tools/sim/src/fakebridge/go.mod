module fakebridge

go 1.19
