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

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @result_rank(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<16x16x4xf32> {
  // expected-error @+1 {{result must be a static NHWC feature map, got 'tensor<16x16x4xf32>'}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    %c = tensor.collapse_shape %r [[0, 1], [2], [3]] : tensor<1x16x16x4xf32> into tensor<16x16x4xf32>
    patch.yield %c : tensor<16x16x4xf32>
  }
  return %y : tensor<16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @grid_arity(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{grid and tile need 2 values (rows, columns), got 1 and 2}}
  %y = patch.stage(%x) grid [2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @grid_sign(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{grid and tile must be positive, got grid 0 and tile 8}}
  %y = patch.stage(%x) grid [2, 0] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @grid_cover(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{a tile of 8 rows needs a grid of 2 to cover the output's 16, not 3}}
  %y = patch.stage(%x) grid [3, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @tile_size(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{a tile of 32 rows needs a grid of 1 to cover the output's 16, not 1 (the tile is larger than the output)}}
  %y = patch.stage(%x) grid [1, 1] tile [32, 16] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @strategy(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{unknown overlap strategy 'stream'; use recompute or cache}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "stream" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @arg_count(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{body has 2 arguments for 1 inputs}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>, %in2: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @arg_type(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{body argument 0 has type 'tensor<1x16x16x4xf16>', but the input has type 'tensor<1x16x16x4xf32>'}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf16>):
    patch.yield %e : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @yield_type(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x8xf32> {
  // expected-error @+1 {{yields 'tensor<1x16x16x4xf32>' but the result is 'tensor<1x16x16x8xf32>'}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x8xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x8xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @halo_count(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{halo needs a (rows, columns) pair for each of the 1 ops of the body that compute a 4-D result from the inputs, got 4 values}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0, 1, 1] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @halo_sign(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  // expected-error @+1 {{halo must not be negative, got -1}}
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, -1] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %o : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @outside(%x: tensor<1x16x16x4xf32>, %e: tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  %y = patch.stage(%x) grid [2, 2] tile [8, 8] halo [0, 0] strategy "recompute" : (tensor<1x16x16x4xf32>) -> tensor<1x16x16x4xf32> {
  ^bb0(%in: tensor<1x16x16x4xf32>):
    // expected-error @+1 {{reads a value defined outside its patch.stage that is not a constant; pass it as an input of the stage}}
    %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in, %x : tensor<1x16x16x4xf32>, tensor<1x16x16x4xf32>) outs(%e : tensor<1x16x16x4xf32>) {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %m = arith.maximumf %v, %w : f32
      linalg.yield %m : f32
    } -> tensor<1x16x16x4xf32>
    patch.yield %r : tensor<1x16x16x4xf32>
  }
  return %y : tensor<1x16x16x4xf32>
}

// -----

func.func @yield_parent(%x: tensor<1x16x16x4xf32>) {
  // expected-error @+1 {{expects parent op 'patch.stage'}}
  patch.yield %x : tensor<1x16x16x4xf32>
}
