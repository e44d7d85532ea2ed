# Usage: TC_LIB=travis-conditions/lib SHVARS_LIB=sh_vars/lib ruby oracle.rb < cases.jsonl
$LOAD_PATH.unshift(ENV.fetch('TC_LIB'), ENV.fetch('SHVARS_LIB'))
require 'json'
module Travis; module Conditions; Error = Class.new(::ArgumentError); ArgumentError = Class.new(Error); ParseError = Class.new(Error); end; end
require 'travis/conditions/v1'
$stdout.sync = true
STDIN.each_line do |line|
  req = JSON.parse(line)
  cond = req['cond']
  out = {}
  begin
    tree = Travis::Conditions::V1::Parser.new(cond).parse
    out['tree'] = tree
    if req.key?('data')
      begin
        data = Travis::Conditions::V1::Data.new(req['data'])
        out['result'] = Travis::Conditions::V1::Eval.new(tree, data).apply
      rescue Exception => e
        out['eval_error'] = e.class.name
        out['eval_message'] = e.message[0, 200]
      end
    end
  rescue Exception => e
    out['error'] = e.class.name
    out['message'] = e.message[0, 200]
  end
  puts JSON.generate(out)
end
