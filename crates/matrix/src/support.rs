//! Which keys and values travis-yml keeps in a job for its language, os and arch.
