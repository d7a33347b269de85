/*
 * The .pdag language: models, clusters, workloads, parallel strategies, deployments and blocks.
 *
 * Pure grammar: lexer and parser rules with labelled alternatives, no target code. The parse tree
 * never leaves the compiler's syntax package; an AST builder turns it into immutable records.
 */
grammar Pdag;

file
    : decl* EOF
    ;

decl
    : IMPORT importTarget (AS IDENT)?                                             # importDecl
    | kind=(MODEL | CLUSTER | WORKLOAD | STRATEGY | GPU) IDENT body                # entityDecl
    | DEPLOY IDENT '=' model=qualifiedName ON cluster=qualifiedName
          WITH strategy=qualifiedName FOR workload=qualifiedName deployBody?       # deployDecl
    | SEARCH IDENT '=' model=qualifiedName ON cluster=qualifiedName
          FOR workload=qualifiedName deployBody?                                  # searchDecl
    | BLOCK IDENT '(' (param (',' param)*)? ')' ('->' shape)? '{' stmt* '}'        # blockDecl
    ;

importTarget
    : qualifiedName                                                               # moduleImport
    | STRING                                                                      # pathImport
    ;

body
    : '{' property* '}'
    ;

property
    : propertyName value body?                                                    # valueProperty
    | propertyName body                                                           # nestedProperty
    ;

propertyName
    : IDENT
    | GPU
    ;

value
    : '[' axis (',' axis)* ','? ']'                                               # meshValue
    | expr                                                                        # exprValue
    ;

axis
    : IDENT expr
    ;

deployBody
    : '{' (requirement | property)* '}'
    ;

requirement
    : REQUIRE metric=IDENT comparison expr (PER per=propertyName)?
    ;

comparison
    : '<=' | '<' | '>=' | '>' | '=='
    ;

param
    : IDENT ':' shape
    ;

shape
    : '[' expr (',' expr)* ']'
    ;

stmt
    : IDENT '=' expr annotation*                                                  # letStmt
    | RETURN expr                                                                 # returnStmt
    ;

annotation
    : '@' IDENT ('(' (IDENT (',' IDENT)*)? ')')?
    ;

expr
    : '-' expr                                                                    # negExpr
    | expr op=('*' | '/' | '%') expr                                              # mulExpr
    | expr op=('+' | '-') expr                                                    # addExpr
    | qualifiedName '(' (arg (',' arg)*)? ')'                                     # callExpr
    | NUMBER UNIT?                                                                # numberExpr
    | qualifiedName                                                               # nameExpr
    | WORD                                                                        # wordExpr
    | '(' expr ')'                                                                # parenExpr
    | '[' expr (',' expr)* ']'                                                    # listExpr
    | STRING                                                                      # stringExpr
    ;

arg
    : (IDENT ':')? expr
    ;

qualifiedName
    : IDENT ('.' IDENT)*
    ;

// ---- lexer ----------------------------------------------------------------------------------

IMPORT   : 'import' ;
AS       : 'as' ;
MODEL    : 'model' ;
CLUSTER  : 'cluster' ;
WORKLOAD : 'workload' ;
STRATEGY : 'strategy' ;
GPU      : 'gpu' ;
DEPLOY   : 'deploy' ;
SEARCH   : 'search' ;
ON       : 'on' ;
WITH     : 'with' ;
FOR      : 'for' ;
BLOCK    : 'block' ;
RETURN   : 'return' ;
REQUIRE  : 'require' ;
PER      : 'per' ;

// Units are reserved words so that `64 GB count 64` never reads `count` as a unit.
UNIT
    : 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB' | 'bytes'
    | 'KB/s' | 'MB/s' | 'GB/s' | 'TB/s' | 'KiB/s' | 'MiB/s' | 'GiB/s'
    | 'Kb/s' | 'Mb/s' | 'Gb/s' | 'Tb/s'
    | 'GFLOP/s' | 'TFLOP/s' | 'PFLOP/s'
    | 'ns' | 'us' | 'ms' | 's'
    | 'tok/s' | 'req/s'
    ;

NUMBER
    : DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)?
    ;

IDENT
    : [a-zA-Z_] [a-zA-Z_0-9]*
    ;

// A word that starts with digits, such as the schedule name `1f1b`; a plain number is NUMBER.
WORD
    : [0-9]+ [a-zA-Z_] [a-zA-Z_0-9]*
    ;

STRING
    : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"'
    ;

// Never valid: a string without its closing quote on the same line. The parser reports this token
// as an unterminated string at its opening quote, instead of stray characters after it.
UNTERMINATED_STRING
    : '"' (~["\\\r\n] | '\\' ~[\r\n])*
    ;

ARROW  : '->' ;
LE     : '<=' ;
GE     : '>=' ;
EQ     : '==' ;
LT     : '<' ;
GT     : '>' ;
ASSIGN : '=' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACE : '{' ;
RBRACE : '}' ;
LBRACK : '[' ;
RBRACK : ']' ;
COMMA  : ',' ;
COLON  : ':' ;
DOT    : '.' ;
AT     : '@' ;
PLUS   : '+' ;
MINUS  : '-' ;
STAR   : '*' ;
SLASH  : '/' ;
PERCENT: '%' ;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
// Never valid: a block comment that is still open at the end of the file (it contains no `*/`).
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS            : [ \t\r\n\f]+ -> channel(HIDDEN) ;

fragment DIGITS : [0-9] ('_'? [0-9])* ;
