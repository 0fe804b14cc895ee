// Crashed sieve-compile (SIGSEGV): the interface has no C type for index.
func.func @p(%a: tensor<8xindex>) -> tensor<8xindex> { return %a : tensor<8xindex> }
