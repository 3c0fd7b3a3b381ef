package providerdb_test

import (
	"errors"

	"github.com/beian/beian"
)

func asErr(err error, e **beian.Error) bool { return errors.As(err, e) }
