$meta-json$
//crebis:body
$if(highlighting-definitions)$
$highlighting-definitions$
$endif$
$body$
