module simcore

go 1.19
