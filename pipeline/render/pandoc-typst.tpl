$meta-json$
//crebis:body
$body$
