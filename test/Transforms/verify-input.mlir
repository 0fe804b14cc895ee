// RUN: sieve-opt %s -split-input-file -sieve-verify-input -verify-diagnostics

// expected-error @+1 {{entry function 'dyn': an input of type 'tensor<?x8xf32>' has a dynamic shape (tensor<?x8xf32>); Sieve compiles static shapes only}}
func.func @dyn(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %a : tensor<?x8xf32>
}

// -----

func.func @dynamic_inside(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'tensor.cast' has a dynamic shape (tensor<?xf32>); Sieve compiles static shapes only}}
  %d = tensor.cast %a : tensor<4xf32> to tensor<?xf32>
  %s = tensor.cast %d : tensor<?xf32> to tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// expected-error @+1 {{an output of type 'tensor<*xf32>' has an unranked type}}
func.func @unranked(%a: tensor<4xf32>) -> tensor<*xf32> {
  %u = tensor.cast %a : tensor<4xf32> to tensor<*xf32>
  return %u : tensor<*xf32>
}

// -----

func.func @complex(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tensor.empty' has element type complex<f32>, which Sieve does not compile}}
  %c = tensor.empty() : tensor<4xcomplex<f32>>
  return %a : tensor<4xf32>
}

// -----

func.func @custom(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tosa.custom' is not supported: it has no lowering to linalg}}
  %0 = tosa.custom %a {domain_name = "acme", operator_name = "magic", implementation_attrs = ""} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gpu_op(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'gpu.barrier' is not supported: Sieve compiles TOSA and linalg-on-tensors models}}
  gpu.barrier
  return %a : tensor<4xf32>
}

// -----

// attn.attention and attn.sparse_attention are lowered (sieve-lower-attention),
// tern ops too (the 'ternary' stage); the ops of Sieve's dialects without a
// lowering in the pipeline are refused.
func.func @window(%x: tensor<1x32x32x16xi8>) -> tensor<1x18x18x16xi8> {
  %r = arith.constant 0 : index
  %c = arith.constant 1 : index
  // expected-error @+1 {{'patch.window' cannot be compiled to code yet: no lowering of the 'patch' dialect is part of the pipeline}}
  %w = patch.window %x[%r, %c] step [16, 16] offset [-1, -1] padding -128 : i8 : tensor<1x32x32x16xi8> -> tensor<1x18x18x16xi8>
  return %w : tensor<1x18x18x16xi8>
}

// -----

func.func @attention(%q: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %o = attn.attention %q, %q, %q {scale = 1.0 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// expected-error @+1 {{the module has 2 public functions; choose the entry point with --entry=<name>}}
module {
  // expected-note @+1 {{candidate 'a'}}
  func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
  // expected-note @+1 {{candidate 'b'}}
  func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{the module has no public function with a body to compile}}
module {
  func.func private @external(tensor<4xf32>) -> tensor<4xf32>
}

// -----

// The C interface has no type for `index` (which once crashed the driver).
// expected-error @+1 {{entry function 'idx': an input of type 'tensor<8xindex>' has an element type that the C interface cannot pass}}
func.func @idx(%a: tensor<8xindex>) -> tensor<8xindex> {
  return %a : tensor<8xindex>
}

// -----

// expected-error @+1 {{an output of type 'tensor<4xi48>' has an element type that the C interface cannot pass}}
func.func @i48(%a: tensor<4xi32>) -> tensor<4xi48> {
  %0 = arith.extsi %a : tensor<4xi32> to tensor<4xi48>
  return %0 : tensor<4xi48>
}

// -----

// Inside the model, index tensors are fine.
func.func @index_inside(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.index_cast %a : tensor<4xi32> to tensor<4xindex>
  %1 = arith.index_cast %0 : tensor<4xindex> to tensor<4xi32>
  return %1 : tensor<4xi32>
}

// -----

func.func @empty(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tensor.empty' has a tensor without elements (tensor<0x4xf32>); Sieve compiles tensors of at least one element}}
  %e = tensor.empty() : tensor<0x4xf32>
  return %a : tensor<4xf32>
}

// -----

func.func @negative_pad(%a: tensor<1x4xi8>) -> tensor<1x5xi8> {
  %c = arith.constant 0 : i8
  // expected-error @+1 {{'tensor.pad' has a padding that is not a size: every static low and high padding must be at least 0}}
  %p = tensor.pad %a low[0, -1] high[0, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %c : i8
  } : tensor<1x4xi8> to tensor<1x5xi8>
  return %p : tensor<1x5xi8>
}
