// RUN: fqt-opt %s --split-input-file --verify-diagnostics

// expected-error @below {{#fqt.ptq bits must be in [1, 8], got 9}}
func.func private @ptq_nine_bits() attributes {fqt.q = #fqt.ptq<bits = 9>}

// -----

// expected-error @below {{#fqt.psq bits must be in [1, 8], got 0}}
func.func private @psq_zero_bits() attributes {fqt.q = #fqt.psq<bits = 0>}

// -----

// expected-error @below {{#fqt.bhq bits must be in [1, 8], got 16}}
func.func private @bhq_sixteen_bits() attributes {fqt.q = #fqt.bhq<bits = 16>}

// -----

// expected-error @below {{#fqt.percol bits must be in [1, 8], got 12}}
func.func private @percol_twelve_bits() attributes {fqt.q = #fqt.percol<bits = 12>}

// -----

// expected-error @below {{#fqt.act bits must be in [1, 8], got 32}}
func.func private @act_bits() attributes {fqt.q = #fqt.act<bits = 32>}

// -----

// expected-error @below {{#fqt.weight bits must be in [1, 8], got 9}}
func.func private @weight_bits() attributes {fqt.q = #fqt.weight<bits = 9>}

// -----

// A symmetric quantizer needs a level on each side of zero.
// expected-error @below {{#fqt.lbt bits must be in [2, 8], got 1}}
func.func private @lbt_one_bit() attributes {fqt.q = #fqt.lbt<bits = 1>}

// -----

// expected-error @below {{#fqt.lbt alpha must be in (0, 1), got 0}}
func.func private @lbt_alpha() attributes {fqt.q = #fqt.lbt<bits = 4, alpha = 0.0>}

// -----

// expected-error @below {{#fqt.lbt gamma_step must be in (0, 1), got 2}}
func.func private @lbt_step() attributes {fqt.q = #fqt.lbt<bits = 4, gamma_step = 2.0>}

// -----

// expected-error @below {{#fqt.lbt gamma_min must be in (0, 1], got -1}}
func.func private @lbt_gamma_min() attributes {fqt.q = #fqt.lbt<bits = 4, gamma_min = -1.0>}

// -----

// The bit-width has no default.
// expected-error @below {{struct is missing required parameter: bits}}
func.func private @missing_bits() attributes {fqt.q = #fqt.ptq<rounding = nearest>}

// -----

// expected-error @below {{expected ::fqt::Rounding to be one of: nearest, stochastic}}
// expected-error @below {{failed to parse FQT_PTQAttr parameter 'rounding'}}
func.func private @bad_rounding() attributes {fqt.q = #fqt.ptq<bits = 4, rounding = up>}

// -----

// expected-error @below {{unknown attribute `ptq8` in dialect `fqt`}}
func.func private @unknown_quantizer() attributes {fqt.q = #fqt.ptq8<bits = 4>}
