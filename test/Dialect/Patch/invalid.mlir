// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @rank(%x: tensor<32x32x16xi8>, %r: index) -> tensor<10x10x16xi8> {
  // expected-error @+1 {{input and result must be NHWC (rank 4)}}
  %w = patch.window %x[%r, %r] step [8, 8] offset [0, 0] padding 0 : i8 : tensor<32x32x16xi8> -> tensor<10x10x16xi8>
  return %w : tensor<10x10x16xi8>
}

// -----

func.func @element_type(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x10x10x16xi32> {
  // expected-error @+1 {{result element type 'i32' differs from the input's 'i8'}}
  %w = patch.window %x[%r, %r] step [8, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x10x10x16xi32>
  return %w : tensor<1x10x10x16xi32>
}

// -----

func.func @dynamic_window(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x?x10x16xi8> {
  // expected-error @+1 {{window shape must be static}}
  %w = patch.window %x[%r, %r] step [8, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x?x10x16xi8>
  return %w : tensor<1x?x10x16xi8>
}

// -----

func.func @channels(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x10x10x8xi8> {
  // expected-error @+1 {{window keeps batch and channels: dimension 3 is 16 in the input but 8 in the result}}
  %w = patch.window %x[%r, %r] step [8, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x10x10x8xi8>
  return %w : tensor<1x10x10x8xi8>
}

// -----

func.func @step_arity(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x10x10x16xi8> {
  // expected-error @+1 {{step and offset need 2 values (rows, columns), got 3 and 2}}
  %w = patch.window %x[%r, %r] step [8, 8, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x10x10x16xi8>
  return %w : tensor<1x10x10x16xi8>
}

// -----

func.func @step_sign(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x10x10x16xi8> {
  // expected-error @+1 {{step must be positive, got 0}}
  %w = patch.window %x[%r, %r] step [0, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x10x10x16xi8>
  return %w : tensor<1x10x10x16xi8>
}

// -----

func.func @padding_type(%x: tensor<1x32x32x16xi8>, %r: index) -> tensor<1x10x10x16xi8> {
  // expected-error @+1 {{padding 0 : i32 must have the element type 'i8'}}
  %w = patch.window %x[%r, %r] step [8, 8] offset [0, 0] padding 0 : i32 : tensor<1x32x32x16xi8> -> tensor<1x10x10x16xi8>
  return %w : tensor<1x10x10x16xi8>
}

// -----

func.func @outside(%x: tensor<1x32x32x16xi8>) -> tensor<1x10x10x16xi8> {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  // expected-error @+1 {{window of patch (5, 0) covers rows 40 to 49, outside the input's 0 to 31}}
  %w = patch.window %x[%c5, %c0] step [8, 8] offset [0, 0] padding 0 : i8 : tensor<1x32x32x16xi8> -> tensor<1x10x10x16xi8>
  return %w : tensor<1x10x10x16xi8>
}
